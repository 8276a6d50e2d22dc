namespace OrleansBroker.Records;

/// <summary>
/// One record read from a batch. Key, value and headers are slices of the buffer the
/// <see cref="RecordBatchReader"/> reads, so they are valid only as long as that buffer is.
/// </summary>
public readonly struct Record
{
    internal Record(
        long offset,
        long timestamp,
        ReadOnlyMemory<byte> key,
        bool keyIsNull,
        ReadOnlyMemory<byte> value,
        bool valueIsNull,
        RecordHeaders headers)
    {
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        Headers = headers;
    }

    /// <summary>The record's offset in its partition: the batch's base offset plus the record's offset delta.</summary>
    public long Offset { get; }

    /// <summary>The record's timestamp in Unix milliseconds: the batch's base timestamp plus the record's delta.</summary>
    public long Timestamp { get; }

    /// <summary>The key bytes; empty when <see cref="KeyIsNull"/>.</summary>
    public ReadOnlyMemory<byte> Key { get; }

    /// <summary>Whether the record has no key (as opposed to an empty one).</summary>
    public bool KeyIsNull { get; }

    /// <summary>The value bytes; empty when <see cref="ValueIsNull"/>.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Whether the value is null: a tombstone.</summary>
    public bool ValueIsNull { get; }

    /// <summary>The record's headers, decoded lazily from the batch bytes.</summary>
    public RecordHeaders Headers { get; }
}
