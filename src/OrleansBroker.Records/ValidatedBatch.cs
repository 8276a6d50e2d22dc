namespace OrleansBroker.Records;

/// <summary>
/// The bytes of one batch that passed <see cref="RecordBatchValidator"/>, with the header it read: a log that takes it
/// appends without reading the header or computing the CRC again. Only the validator makes one that holds a batch;
/// the default instance holds none, and a log refuses it.
/// </summary>
public readonly struct ValidatedBatch
{
    internal ValidatedBatch(Memory<byte> bytes, RecordBatchHeader header)
    {
        Bytes = bytes;
        Header = header;
    }

    /// <summary>The batch, exactly <see cref="RecordBatchHeader.TotalSize"/> bytes.</summary>
    public Memory<byte> Bytes { get; }

    /// <summary>The batch's header as the validator read it.</summary>
    public RecordBatchHeader Header { get; }
}
