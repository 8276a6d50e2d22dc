using System.Buffers.Binary;

namespace OrleansBroker.Records;

/// <summary>The decoded fixed header of one RecordBatch v2 (see <see cref="RecordBatch"/> for the layout).</summary>
public readonly record struct RecordBatchHeader(
    long BaseOffset,
    int TotalSize,
    int PartitionLeaderEpoch,
    short Attributes,
    int LastOffsetDelta,
    long BaseTimestamp,
    long MaxTimestamp,
    long ProducerId,
    short ProducerEpoch,
    int BaseSequence,
    int RecordCount)
{
    /// <summary>The offset of the last record in the batch.</summary>
    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>The offset after the batch.</summary>
    public long NextOffset => LastOffset + 1;

    /// <summary>
    /// Reads and validates the batch that starts <paramref name="buffer"/>: magic, lengths, record count
    /// and CRC. Never throws on bad input: the result says what is wrong.
    /// </summary>
    /// <param name="buffer">Bytes that start with a batch; more may follow it.</param>
    /// <param name="maxBatchSize">The largest batch accepted, in bytes.</param>
    /// <param name="header">The header when the result is <see cref="BatchStatus.Valid"/>.</param>
    public static BatchStatus TryRead(ReadOnlySpan<byte> buffer, int maxBatchSize, out RecordBatchHeader header)
    {
        header = default;
        if (buffer.Length < RecordBatch.HeaderSize)
        {
            return BatchStatus.Incomplete;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(buffer[RecordBatch.LengthOffset..]);
        if (length < RecordBatch.HeaderSize - RecordBatch.LogOverhead)
        {
            return BatchStatus.InvalidLength;
        }

        if (length > maxBatchSize - RecordBatch.LogOverhead)
        {
            return BatchStatus.TooLarge;
        }

        if (buffer[RecordBatch.MagicOffset] != RecordBatch.CurrentMagic)
        {
            return BatchStatus.UnsupportedMagic;
        }

        var totalSize = RecordBatch.LogOverhead + length;
        if (buffer.Length < totalSize)
        {
            return BatchStatus.Incomplete;
        }

        var batch = buffer[..totalSize];
        var lastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatch.LastOffsetDeltaOffset..]);
        var recordCount = BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatch.RecordCountOffset..]);

        // Every record takes at least 7 bytes (length, attributes, timestamp, offset, key, value, headers),
        // so a count the body cannot hold is corrupt whatever the records say.
        if (recordCount <= 0 || recordCount > (totalSize - RecordBatch.HeaderSize) / 7 || lastOffsetDelta < recordCount - 1)
        {
            return BatchStatus.InvalidRecordCount;
        }

        var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(batch[RecordBatch.CrcOffset..]);
        if (storedCrc != Crc32C.Compute(batch[RecordBatch.CrcStart..]))
        {
            return BatchStatus.CrcMismatch;
        }

        header = ReadUnchecked(batch);
        return BatchStatus.Valid;
    }

    /// <summary>
    /// Reads the header fields of a batch already known to be valid (it was checked when it was written),
    /// without checking lengths or the CRC. <paramref name="batch"/> needs only the first <see cref="RecordBatch.HeaderSize"/> bytes.
    /// </summary>
    public static RecordBatchHeader ReadUnchecked(ReadOnlySpan<byte> batch) => new(
        BinaryPrimitives.ReadInt64BigEndian(batch),
        RecordBatch.ReadTotalSize(batch),
        BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatch.PartitionLeaderEpochOffset..]),
        BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatch.AttributesOffset..]),
        BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatch.LastOffsetDeltaOffset..]),
        BinaryPrimitives.ReadInt64BigEndian(batch[RecordBatch.BaseTimestampOffset..]),
        BinaryPrimitives.ReadInt64BigEndian(batch[RecordBatch.MaxTimestampOffset..]),
        BinaryPrimitives.ReadInt64BigEndian(batch[RecordBatch.ProducerIdOffset..]),
        BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatch.ProducerEpochOffset..]),
        BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatch.BaseSequenceOffset..]),
        BinaryPrimitives.ReadInt32BigEndian(batch[RecordBatch.RecordCountOffset..]));
}
