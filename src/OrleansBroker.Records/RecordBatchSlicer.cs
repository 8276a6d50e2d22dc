using System.Buffers.Binary;

namespace OrleansBroker.Records;

/// <summary>
/// Cuts a run of records out of a batch into a batch of their own, so that a reader who wants a few records of a large
/// producer batch is not sent all of it. The cut batch starts at the first record kept: each record's offsetDelta is
/// renumbered from 0 (its varint and the record's length prefix may shrink), its timestampDelta keeps the original base
/// timestamp, the base sequence moves with the base offset, and the CRC is computed anew. Keys, values and headers are
/// copied as they are.
/// </summary>
public static class RecordBatchSlicer
{
    /// <summary>
    /// Writes the records of <paramref name="batch"/> with offsets from <paramref name="first"/> to <paramref name="last"/>
    /// (clamped to the batch) to <paramref name="destination"/> as one batch; a batch that lies inside the range is copied
    /// unchanged. <paramref name="written"/> is 0 when no record of the batch is in the range.
    /// </summary>
    /// <param name="batch">One batch that was valid when it was written (as the log stores it); bytes may follow it.</param>
    /// <param name="first">The first offset to keep.</param>
    /// <param name="last">The last offset to keep.</param>
    /// <param name="destination">At least as long as the batch: a cut batch is never larger than its source.</param>
    /// <param name="written">The bytes written.</param>
    /// <returns><see cref="BatchStatus.Valid"/>, or what is wrong with the source records (nothing usable is written then).</returns>
    public static BatchStatus TrySlice(ReadOnlySpan<byte> batch, long first, long last, Span<byte> destination, out int written)
    {
        written = 0;
        var header = RecordBatchHeader.ReadUnchecked(batch);
        if (first > header.LastOffset || last < header.BaseOffset || first > last)
        {
            return BatchStatus.Valid;
        }

        var firstDelta = (int)Math.Max(first - header.BaseOffset, 0);
        var lastDelta = (int)Math.Min(last - header.BaseOffset, header.LastOffsetDelta);

        var source = batch[..header.TotalSize];
        if (firstDelta == 0 && lastDelta == header.LastOffsetDelta)
        {
            source.CopyTo(destination);
            written = source.Length;
            return BatchStatus.Valid;
        }

        var records = source[RecordBatch.HeaderSize..];
        var output = destination[RecordBatch.HeaderSize..];
        var position = 0;
        var length = 0;
        for (var index = 0; index <= lastDelta; index++)
        {
            var status = RecordCodec.TryParse(records, position, index, out var layout);
            if (status != BatchStatus.Valid)
            {
                return status;
            }

            if (index >= firstDelta)
            {
                length += Renumber(records[position..layout.End], layout.TimestampDelta, index - firstDelta, output[length..]);
            }

            position = layout.End;
        }

        source[..RecordBatch.HeaderSize].CopyTo(destination);
        var count = lastDelta - firstDelta + 1;
        RecordBatch.WriteBaseOffset(destination, header.BaseOffset + firstDelta);
        BinaryPrimitives.WriteInt32BigEndian(destination[RecordBatch.LengthOffset..], RecordBatch.HeaderSize - RecordBatch.LogOverhead + length);
        BinaryPrimitives.WriteInt32BigEndian(destination[RecordBatch.LastOffsetDeltaOffset..], count - 1);
        if (header.BaseSequence >= 0)
        {
            // Sequences wrap from int.MaxValue to 0, as the producer numbers them.
            BinaryPrimitives.WriteInt32BigEndian(destination[RecordBatch.BaseSequenceOffset..], (int)((header.BaseSequence + (long)firstDelta) % ((long)int.MaxValue + 1)));
        }

        BinaryPrimitives.WriteInt32BigEndian(destination[RecordBatch.RecordCountOffset..], count);
        written = RecordBatch.HeaderSize + length;
        BinaryPrimitives.WriteUInt32BigEndian(destination[RecordBatch.CrcOffset..], Crc32C.Compute(destination[RecordBatch.CrcStart..written]));
        return BatchStatus.Valid;
    }

    /// <summary>Writes one record with a new offsetDelta: length, attributes, timestampDelta, offsetDelta, then the rest as it was.</summary>
    private static int Renumber(ReadOnlySpan<byte> record, long timestampDelta, int offsetDelta, Span<byte> destination)
    {
        // The parse succeeded, so these varints read; their sizes are taken as written, overlong or not.
        Varint.TryRead(record, out int _, out var lengthSize);
        var body = record[lengthSize..];
        Varint.TryRead(body[1..], out long _, out var timestampSize);
        Varint.TryRead(body[(1 + timestampSize)..], out int _, out var offsetSize);
        var rest = body[(1 + timestampSize + offsetSize)..];

        var newBodyLength = 1 + Varint.SizeOf(timestampDelta) + Varint.SizeOf(offsetDelta) + rest.Length;
        var p = Varint.Write(destination, newBodyLength);
        destination[p++] = body[0];
        p += Varint.Write(destination[p..], timestampDelta);
        p += Varint.Write(destination[p..], offsetDelta);
        rest.CopyTo(destination[p..]);
        return p + rest.Length;
    }
}
