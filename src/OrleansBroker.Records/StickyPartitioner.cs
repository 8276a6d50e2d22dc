namespace OrleansBroker.Records;

/// <summary>
/// Picks partitions for keyless records the way Kafka's sticky partitioner does: all records of a topic go
/// to one partition until a batch for it is completed, then to another one picked at random. Larger
/// batches mean fewer appends than spreading records round-robin. Thread-safe.
/// </summary>
public sealed class StickyPartitioner
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _current = new(StringComparer.Ordinal);
    private readonly Random _random;

    /// <summary>Creates a partitioner that picks partitions with <see cref="Random.Shared"/>.</summary>
    public StickyPartitioner()
        : this(Random.Shared)
    {
    }

    /// <summary>Creates a partitioner that picks partitions with <paramref name="random"/> (a seeded one makes tests repeatable).</summary>
    public StickyPartitioner(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
    }

    /// <summary>The partition the next keyless record of <paramref name="topic"/> goes to.</summary>
    public int Partition(string topic, int numPartitions)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numPartitions);
        lock (_lock)
        {
            if (_current.TryGetValue(topic, out var partition) && partition < numPartitions)
            {
                return partition;
            }

            partition = _random.Next(numPartitions);
            _current[topic] = partition;
            return partition;
        }
    }

    /// <summary>
    /// Tells the partitioner that a batch for <paramref name="completedPartition"/> of <paramref name="topic"/>
    /// was completed. If that is still the current partition, the topic moves on to another one (a different
    /// one when there is more than one); if another caller already moved it, nothing changes.
    /// </summary>
    /// <returns>The partition the next keyless record of <paramref name="topic"/> goes to.</returns>
    public int BatchCompleted(string topic, int numPartitions, int completedPartition)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numPartitions);
        ArgumentOutOfRangeException.ThrowIfNegative(completedPartition);
        lock (_lock)
        {
            if (_current.TryGetValue(topic, out var partition) && partition != completedPartition && partition < numPartitions)
            {
                return partition;
            }

            partition = 0;
            if (numPartitions > 1)
            {
                // Draw from the other n - 1 partitions and skip over the completed one.
                partition = _random.Next(numPartitions - 1);
                if (partition >= completedPartition)
                {
                    partition++;
                }
            }

            _current[topic] = partition;
            return partition;
        }
    }
}
