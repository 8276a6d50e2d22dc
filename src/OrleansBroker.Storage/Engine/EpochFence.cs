using System.Collections.Concurrent;

namespace OrleansBroker.Storage.Engine;

/// <summary>
/// The in-process owner record of one log directory. Opens, group commits, retention and deletes all
/// run under <see cref="Sync"/> and check that their epoch is still <see cref="Epoch"/>, so a stale
/// writer can never interleave its writes with the current one's.
/// </summary>
internal sealed class EpochFence
{
    public Lock Sync { get; } = new();

    /// <summary>The epoch that owns the log; only read or written under <see cref="Sync"/>.</summary>
    public int Epoch { get; set; }

    /// <summary>Set when the log was deleted: holders of this fence are all stale, openers take a new one.</summary>
    public bool Deleted { get; set; }

    public bool IsOwnedBy(int epoch) => !Deleted && Epoch == epoch;
}

/// <summary>The fences of a set of log directories, keyed by directory.</summary>
internal sealed class EpochFenceRegistry
{
    private readonly ConcurrentDictionary<string, EpochFence> _fences = new(StringComparer.Ordinal);

    public EpochFence Get(string key) => _fences.GetOrAdd(key, static _ => new EpochFence());

    /// <summary>Marks the fence deleted and forgets it; the caller holds its lock.</summary>
    public void Retire(string key, EpochFence fence)
    {
        fence.Deleted = true;
        _fences.TryRemove(new KeyValuePair<string, EpochFence>(key, fence));
    }
}
