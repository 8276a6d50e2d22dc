namespace OrleansBroker.Records;

/// <summary>
/// The broker's append-path check: the bytes are exactly one whole, uncorrupted batch whose every record
/// parses, so no corrupt record ever enters a log.
/// <code>
///  +------------------------------+---------+---------+-----+-------------+
///  | header (61 bytes, CRC-32C    | record  | record  | ... | record      |   nothing after the last
///  | over attributes..end)        | delta 0 | delta 1 |     | delta n - 1 |   record, n = recordCount
///  +------------------------------+---------+---------+-----+-------------+
/// </code>
/// </summary>
public static class RecordBatchValidator
{
    /// <summary>Checks that <paramref name="batch"/> is exactly one valid batch. Never throws; never allocates.</summary>
    /// <param name="batch">The bytes of one batch, with no bytes after it.</param>
    /// <param name="maxBatchSize">The largest batch accepted, in bytes.</param>
    public static BatchStatus Validate(ReadOnlySpan<byte> batch, int maxBatchSize) => Validate(batch, maxBatchSize, out _);

    /// <summary>Checks that <paramref name="batch"/> is exactly one valid batch and, when it is, hands it out with its header.</summary>
    /// <param name="batch">The bytes of one batch, with no bytes after it.</param>
    /// <param name="maxBatchSize">The largest batch accepted, in bytes.</param>
    /// <param name="validated">The batch and its header when the result is <see cref="BatchStatus.Valid"/>.</param>
    public static BatchStatus Validate(Memory<byte> batch, int maxBatchSize, out ValidatedBatch validated)
    {
        var status = Validate(batch.Span, maxBatchSize, out var header);
        validated = status == BatchStatus.Valid ? new ValidatedBatch(batch, header) : default;
        return status;
    }

    private static BatchStatus Validate(ReadOnlySpan<byte> batch, int maxBatchSize, out RecordBatchHeader header)
    {
        var status = RecordBatchHeader.TryRead(batch, maxBatchSize, out header);
        if (status != BatchStatus.Valid)
        {
            return status;
        }

        if (header.TotalSize != batch.Length)
        {
            // The length field and the bytes received disagree: trailing bytes are not part of any batch.
            return BatchStatus.InvalidLength;
        }

        status = RecordCodec.CheckHeader(header);
        if (status != BatchStatus.Valid)
        {
            return status;
        }

        var records = batch[RecordBatch.HeaderSize..];
        var position = 0;
        for (var i = 0; i < header.RecordCount; i++)
        {
            status = RecordCodec.TryParse(records, position, i, out var layout);
            if (status != BatchStatus.Valid)
            {
                return status;
            }

            position = layout.End;
        }

        return position == records.Length ? BatchStatus.Valid : BatchStatus.InvalidRecordCount;
    }
}
