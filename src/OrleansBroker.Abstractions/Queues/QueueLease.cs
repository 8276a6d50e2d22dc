using System.Collections.Immutable;

namespace OrleansBroker;

/// <summary>
/// Records of one partition leased to one queue group member. The records travel as the stored batches
/// (Kafka RecordBatch v2 bytes, concatenated); only the records at <see cref="Offsets"/> are leased, so a
/// reader skips the others.
/// </summary>
/// <param name="Batches">Whole batches holding every leased record (and maybe others around them).</param>
/// <param name="Offsets">The leased offsets, ascending.</param>
/// <param name="DeliveryCounts">For each leased offset, how many times it has been delivered, this time included.</param>
[GenerateSerializer, Immutable]
[Alias("broker.QueueLease")]
public sealed record QueueLease(
    [property: Id(0)] ReadOnlyMemory<byte> Batches,
    [property: Id(1)] ImmutableArray<long> Offsets,
    [property: Id(2)] ImmutableArray<short> DeliveryCounts)
{
    /// <summary>A lease of nothing: the wait ended before a record was available.</summary>
    public static QueueLease Empty { get; } = new(ReadOnlyMemory<byte>.Empty, [], []);
}

/// <summary>The delivery state of one partition in one queue group.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="StartOffset">Every record below this offset is done (acknowledged or dead-lettered).</param>
/// <param name="HighWatermark">The partition's high watermark as last seen by the queue.</param>
/// <param name="InFlight">Records leased to a member now.</param>
/// <param name="Available">Records at or above the start offset that wait for a member (delayed releases included).</param>
/// <param name="Acknowledged">Records acknowledged since the group started on the partition.</param>
/// <param name="DeadLettered">Records written to the dead-letter topic since the group started on the partition.</param>
[GenerateSerializer, Immutable]
[Alias("broker.QueuePartitionDescription")]
public sealed record QueuePartitionDescription(
    [property: Id(0)] int Partition,
    [property: Id(1)] long StartOffset,
    [property: Id(2)] long HighWatermark,
    [property: Id(3)] int InFlight,
    [property: Id(4)] long Available,
    [property: Id(5)] long Acknowledged,
    [property: Id(6)] long DeadLettered);
