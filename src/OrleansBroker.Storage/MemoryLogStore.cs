using System.Collections.Concurrent;
using OrleansBroker.Storage.Engine;
using OrleansBroker.Storage.Memory;

namespace OrleansBroker.Storage;

/// <summary>
/// A log store in memory, for unit tests: the same engine and semantics as <see cref="FileLogStore"/>
/// (epochs, segments, index, retention), with writes durable at once. Logs live as long as the store.
/// </summary>
public sealed class MemoryLogStore(TimeProvider timeProvider) : ILogStore
{
    private readonly ConcurrentDictionary<LogPartition, MemoryLogDirectory> _directories = new();
    private readonly EpochFenceRegistry _fences = new();

    public ValueTask<IPartitionLog> OpenAsync(LogPartition partition, int epoch, LogConfig config, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = _directories.GetOrAdd(partition, static _ => new MemoryLogDirectory());
        return ValueTask.FromResult<IPartitionLog>(PartitionLog.Open(partition, epoch, config, timeProvider, directory, _fences, partition.ToString()));
    }
}
