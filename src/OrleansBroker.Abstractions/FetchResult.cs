namespace OrleansBroker;

/// <summary>
/// The answer to a fetch: whole record batches as stored (Kafka RecordBatch v2 bytes, concatenated),
/// starting with the batch that holds the requested offset, so the first records may precede it.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("broker.FetchResult")]
public sealed record FetchResult(
    [property: Id(0)] FetchStatus Status,
    [property: Id(1)] ReadOnlyMemory<byte> Batches,
    [property: Id(2)] long LogStartOffset,
    [property: Id(3)] long HighWatermark);

/// <summary>The outcome of a fetch.</summary>
[GenerateSerializer]
[Alias("broker.FetchStatus")]
public enum FetchStatus
{
    /// <summary>Batches holds the records found (none when the wait ended first).</summary>
    Ok,

    /// <summary>The offset is below the log start offset or above the high watermark; nothing was read.</summary>
    OffsetOutOfRange,
}
