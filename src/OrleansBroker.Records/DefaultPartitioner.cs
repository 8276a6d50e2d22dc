namespace OrleansBroker.Records;

/// <summary>
/// Kafka's partitioner for keyed records: <c>toPositive(murmur2(key)) % numPartitions</c>, so that the same
/// key always lands in the same partition, and in the same one a Kafka producer would pick.
/// </summary>
public static class DefaultPartitioner
{
    /// <summary>The partition of <paramref name="key"/> among <paramref name="numPartitions"/>.</summary>
    public static int Partition(ReadOnlySpan<byte> key, int numPartitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numPartitions);

        // Kafka's toPositive masks the sign bit rather than taking Math.Abs, which fails on int.MinValue.
        return (Murmur2.Hash(key) & 0x7fffffff) % numPartitions;
    }
}
