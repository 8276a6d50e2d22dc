using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>Who owns each partition, by the callbacks; every processed record; and every breach of exclusive ownership.</summary>
internal sealed class OwnershipTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, string> _owners = [];
    private readonly HashSet<(int Partition, long Offset)> _seen = [];
    private readonly List<(Func<bool> Reached, TaskCompletionSource Done)> _waiters = [];

    public List<string> Violations { get; } = [];

    public IReadOnlyCollection<(int Partition, long Offset)> Seen
    {
        get
        {
            lock (_lock)
            {
                return [.. _seen];
            }
        }
    }

    public Task AssignedAsync(string member, IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                if (!_owners.TryAdd(partition, member))
                {
                    Violations.Add($"{member} was given {partition} while {_owners[partition]} owned it");
                }
            }

            Signal();
        }

        return Task.CompletedTask;
    }

    /// <summary>A crashed member processes nothing more: what it owned is free, whether or not its revoke callback ran.</summary>
    public void Crashed(string member)
    {
        lock (_lock)
        {
            foreach (var partition in _owners.Where(o => o.Value == member).Select(o => o.Key).ToList())
            {
                _owners.Remove(partition);
            }
        }
    }

    public Task RevokedAsync(string member, IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                if (!_owners.Remove(partition, out var owner) || owner != member)
                {
                    Violations.Add($"{member} gave up {partition}, which it did not own");
                }
            }
        }

        return Task.CompletedTask;
    }

    public void Processed(string member, TopicPartition partition, long offset)
    {
        lock (_lock)
        {
            if (!_owners.TryGetValue(partition, out var owner) || owner != member)
            {
                Violations.Add($"{member} processed {partition}@{offset} without owning it");
            }

            _seen.Add((partition.Partition, offset));
            Signal();
        }
    }

    /// <summary>Completes once <paramref name="count"/> distinct records were processed.</summary>
    public Task SeenAsync(int count) => WhenAsync(() => _seen.Count >= count);

    /// <summary>Completes once each of <paramref name="members"/> owns <paramref name="each"/> partitions, and no one else owns any.</summary>
    public Task SharedAsync(int each, params string[] members) => WhenAsync(() =>
        _owners.Values.All(members.Contains) && members.All(m => _owners.Values.Count(o => o == m) == each));

    private Task WhenAsync(Func<bool> reached)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (reached())
            {
                return Task.CompletedTask;
            }

            _waiters.Add((reached, done));
        }

        return done.Task.WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
    }

    private void Signal()
    {
        foreach (var waiter in _waiters.Where(w => w.Reached()).ToList())
        {
            waiter.Done.TrySetResult();
            _waiters.Remove(waiter);
        }
    }
}
