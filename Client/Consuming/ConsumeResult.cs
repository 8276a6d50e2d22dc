using OrleansBroker.Records;

namespace OrleansBroker.Client.Consuming;

/// <summary>
/// One consumed record. Its key, value and headers are slices of the fetched batch: valid as long as the
/// result is, copy them to keep them beyond that.
/// </summary>
/// <param name="TopicPartition">The partition the record came from.</param>
/// <param name="Record">The record.</param>
public readonly record struct ConsumeResult(TopicPartition TopicPartition, Record Record)
{
    /// <summary>The record's offset.</summary>
    public long Offset => Record.Offset;

    /// <summary>The record's timestamp, in Unix milliseconds.</summary>
    public long Timestamp => Record.Timestamp;

    /// <summary>The key, or null when the record has none.</summary>
    public ReadOnlyMemory<byte>? Key => Record.KeyIsNull ? default(ReadOnlyMemory<byte>?) : Record.Key;

    /// <summary>The value, or null for a tombstone.</summary>
    public ReadOnlyMemory<byte>? Value => Record.ValueIsNull ? default(ReadOnlyMemory<byte>?) : Record.Value;

    /// <summary>The headers, read from the batch as they are enumerated.</summary>
    public RecordHeaders Headers => Record.Headers;
}
