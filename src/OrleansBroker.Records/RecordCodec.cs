namespace OrleansBroker.Records;

/// <summary>
/// Walks the records of a RecordBatch v2, shared by <see cref="RecordBatchReader"/> and
/// <see cref="RecordBatchValidator"/> so that what the broker accepts is exactly what readers can read.
/// <code>
///  Record (every integer is a zig-zag varint except attributes)
///  +--------+------------+----------------+-------------+-----------+-----+-------------+-------+-------------+---------+
///  | length | attributes | timestampDelta | offsetDelta | keyLength | key | valueLength | value | headerCount | headers |
///  | varint | int8       | varlong        | varint      | varint    |     | varint      |       | varint      |         |
///  +--------+------------+----------------+-------------+-----------+-----+-------------+-------+-------------+---------+
///  length counts the bytes after itself; keyLength / valueLength -1 = null.
///
///  Header (headerCount times)
///  +-----------+-----------+-------------+-------+
///  | keyLength | key UTF-8 | valueLength | value |
///  | varint>=0 |           | varint      |       |   valueLength -1 = null
///  +-----------+-----------+-------------+-------+
/// </code>
/// Every length is checked against the bytes that remain before it is used, so corrupt input yields a
/// status, never an exception or an allocation sized by the input.
/// </summary>
internal static class RecordCodec
{
    /// <summary>Attributes of the batches this codec writes and accepts: no compression, no transaction, no control batch, create time.</summary>
    internal const short SupportedAttributes = 0;

    /// <summary>Checks the header fields the CRC cannot vouch for: what a valid writer puts there.</summary>
    internal static BatchStatus CheckHeader(in RecordBatchHeader header)
    {
        if (header.Attributes != SupportedAttributes)
        {
            // Compressed, transactional or control batches hold records this codec cannot walk or serve.
            return BatchStatus.InvalidRecord;
        }

        return header.LastOffsetDelta == header.RecordCount - 1 ? BatchStatus.Valid : BatchStatus.InvalidRecordCount;
    }

    /// <summary>Parses the record at <paramref name="position"/> of the records region of a batch.</summary>
    /// <param name="records">The bytes after the batch header, up to the end of the batch.</param>
    /// <param name="position">Where the record starts.</param>
    /// <param name="expectedOffsetDelta">The record's index in the batch, which its offsetDelta must equal.</param>
    /// <param name="layout">Where the record's parts lie, relative to <paramref name="records"/>.</param>
    internal static BatchStatus TryParse(ReadOnlySpan<byte> records, int position, int expectedOffsetDelta, out RecordLayout layout)
    {
        layout = default;
        if (position >= records.Length)
        {
            // The header counts more records than the batch holds.
            return BatchStatus.InvalidRecordCount;
        }

        if (!Varint.TryRead(records[position..], out int length, out var lengthSize)
            || length < 0
            || length > records.Length - position - lengthSize)
        {
            return BatchStatus.InvalidRecord;
        }

        var bodyStart = position + lengthSize;
        var body = records.Slice(bodyStart, length);

        // Attributes (body[0]) are unused in v2; Kafka reads and ignores them, and so do we.
        var p = 1;
        if (body.IsEmpty
            || !Varint.TryRead(body[p..], out long timestampDelta, out var n))
        {
            return BatchStatus.InvalidRecord;
        }

        p += n;
        if (!Varint.TryRead(body[p..], out int offsetDelta, out n) || offsetDelta != expectedOffsetDelta)
        {
            return BatchStatus.InvalidRecord;
        }

        p += n;
        if (!TryReadBytes(body, ref p, out var keyStart, out var keyLength)
            || !TryReadBytes(body, ref p, out var valueStart, out var valueLength)
            || !Varint.TryRead(body[p..], out int headerCount, out n)
            || headerCount < 0)
        {
            return BatchStatus.InvalidRecord;
        }

        p += n;
        var headersStart = p;
        for (var i = 0; i < headerCount; i++)
        {
            if (!TryReadHeader(body, ref p, out _, out _, out _, out _))
            {
                return BatchStatus.InvalidRecord;
            }
        }

        if (p != body.Length)
        {
            // Kafka rejects a record whose fields do not fill its length exactly; so do we.
            return BatchStatus.InvalidRecord;
        }

        layout = new RecordLayout(
            bodyStart + length,
            timestampDelta,
            offsetDelta,
            bodyStart + keyStart,
            keyLength,
            bodyStart + valueStart,
            valueLength,
            bodyStart + headersStart,
            p - headersStart,
            headerCount);
        return BatchStatus.Valid;
    }

    /// <summary>Reads one header at <paramref name="position"/>; the key must not be null.</summary>
    internal static bool TryReadHeader(
        ReadOnlySpan<byte> headers,
        ref int position,
        out int keyStart,
        out int keyLength,
        out int valueStart,
        out int valueLength)
    {
        valueStart = 0;
        valueLength = 0;
        return TryReadBytes(headers, ref position, out keyStart, out keyLength)
            && keyLength >= 0
            && TryReadBytes(headers, ref position, out valueStart, out valueLength);
    }

    /// <summary>Reads a varint length and skips that many bytes; -1 (null) takes no bytes.</summary>
    private static bool TryReadBytes(ReadOnlySpan<byte> span, ref int position, out int start, out int length)
    {
        start = 0;
        if (!Varint.TryRead(span[position..], out length, out var n)
            || length < -1
            || length > span.Length - position - n)
        {
            return false;
        }

        position += n;
        start = position;
        position += Math.Max(length, 0);
        return true;
    }
}

/// <summary>Where the parts of one record lie; positions are relative to the records region of its batch.</summary>
internal readonly record struct RecordLayout(
    int End,
    long TimestampDelta,
    int OffsetDelta,
    int KeyStart,
    int KeyLength,
    int ValueStart,
    int ValueLength,
    int HeadersStart,
    int HeadersLength,
    int HeaderCount);
