using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace OrleansBroker.Records;

/// <summary>
/// Encodes records into one Kafka RecordBatch v2 (layouts: <see cref="RecordBatch"/> for the header,
/// <see cref="RecordCodec"/> for a record). Records are written straight into a pooled buffer after
/// room kept for the 61-byte header, which <see cref="Build()"/> fills in last:
/// <code>
///  pooled buffer
///  +-------------------------------+----------+----------+-----+----------------------+
///  | header (filled by Build)      | record 0 | record 1 | ... |  free capacity       |
///  +-------------------------------+----------+----------+-----+----------------------+
///  0                              61                           SizeInBytes
/// </code>
/// Reusable: <see cref="Reset"/> starts a new batch in the same buffer. Not thread-safe.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    /// <summary>
    /// The most records a batch may hold: the client identifies a record by its index in the batch in a
    /// 16-bit token.
    /// </summary>
    public const int MaxRecords = short.MaxValue;

    private const int DefaultInitialCapacity = 16 * 1024;

    private byte[] _buffer;
    private int _length = RecordBatch.HeaderSize;
    private long _baseTimestamp;
    private long _maxTimestamp;
    private bool _disposed;

    /// <summary>Creates a builder whose buffer starts at <paramref name="initialCapacity"/> bytes and grows as needed.</summary>
    public RecordBatchBuilder(int initialCapacity = DefaultInitialCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, RecordBatch.HeaderSize));
    }

    /// <summary>The number of records appended since the last reset.</summary>
    public int Count { get; private set; }

    /// <summary>The exact size in bytes of the batch <see cref="Build()"/> would return now, header included.</summary>
    public int SizeInBytes => _length;

    /// <summary>Appends a record.</summary>
    /// <inheritdoc cref="TryAppend" path="/param[position() &lt; 7]"/>
    /// <exception cref="InvalidOperationException">The batch already holds <see cref="MaxRecords"/> records.</exception>
    public void Append(
        long timestampMs,
        ReadOnlySpan<byte> key,
        bool keyIsNull,
        ReadOnlySpan<byte> value,
        bool valueIsNull,
        ReadOnlySpan<RecordHeader> headers)
    {
        if (!TryAppend(timestampMs, key, keyIsNull, value, valueIsNull, headers, int.MaxValue))
        {
            throw new InvalidOperationException($"A batch holds at most {MaxRecords} records.");
        }
    }

    /// <summary>
    /// Appends a record unless the batch would then be larger than <paramref name="maxSizeInBytes"/> (header included)
    /// or already holds <see cref="MaxRecords"/> records; the record's size is worked out once, for the check and the write.
    /// </summary>
    /// <returns>Whether the record was appended; when not, the batch is unchanged.</returns>
    /// <param name="timestampMs">The record's timestamp in Unix milliseconds.</param>
    /// <param name="key">The key bytes; must be empty when <paramref name="keyIsNull"/>.</param>
    /// <param name="keyIsNull">Whether the record has no key (as opposed to an empty one).</param>
    /// <param name="value">The value bytes; must be empty when <paramref name="valueIsNull"/>.</param>
    /// <param name="valueIsNull">Whether the value is null: a tombstone.</param>
    /// <param name="headers">The record's headers; their keys must not be null.</param>
    /// <param name="maxSizeInBytes">The largest <see cref="SizeInBytes"/> the record may bring the batch to.</param>
    public bool TryAppend(
        long timestampMs,
        ReadOnlySpan<byte> key,
        bool keyIsNull,
        ReadOnlySpan<byte> value,
        bool valueIsNull,
        ReadOnlySpan<RecordHeader> headers,
        int maxSizeInBytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((keyIsNull && !key.IsEmpty) || (valueIsNull && !value.IsEmpty))
        {
            throw new ArgumentException("A null key or value cannot have bytes.");
        }

        var keyLength = keyIsNull ? -1 : key.Length;
        var valueLength = valueIsNull ? -1 : value.Length;
        var timestampDelta = TimestampDelta(timestampMs);
        var bodySize = BodySize(timestampDelta, keyLength, valueLength, headers);
        var recordSize = checked(Varint.SizeOf(bodySize) + bodySize);
        if (Count == MaxRecords || (long)_length + recordSize > maxSizeInBytes)
        {
            return false;
        }

        EnsureCapacity(recordSize);
        var record = _buffer.AsSpan(_length, recordSize);
        var p = Varint.Write(record, bodySize);
        record[p++] = 0; // attributes: unused in v2
        p += Varint.Write(record[p..], timestampDelta);
        p += Varint.Write(record[p..], Count);
        p += WriteBytes(record[p..], key, keyLength);
        p += WriteBytes(record[p..], value, valueLength);
        p += Varint.Write(record[p..], headers.Length);
        foreach (var header in headers)
        {
            p += Varint.Write(record[p..], Encoding.UTF8.GetByteCount(header.Key));
            p += Encoding.UTF8.GetBytes(header.Key, record[p..]);
            p += header.Value is { } headerValue
                ? WriteBytes(record[p..], headerValue.Span, headerValue.Length)
                : Varint.Write(record[p..], -1);
        }

        Debug.Assert(p == recordSize, "The record must fill exactly the size computed for it.");
        if (Count == 0)
        {
            _baseTimestamp = timestampMs;
            _maxTimestamp = timestampMs;
        }
        else
        {
            _maxTimestamp = Math.Max(_maxTimestamp, timestampMs);
        }

        _length += recordSize;
        Count++;
        return true;
    }

    /// <summary>
    /// Fills in the header and returns the batch: base offset 0 (the broker assigns it), leader epoch -1,
    /// no producer id. The bytes stay valid until the next <see cref="Append"/>, <see cref="Reset"/> or
    /// <see cref="Dispose"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No record was appended: a batch holds at least one.</exception>
    public ReadOnlyMemory<byte> Build() => Build(-1, -1, -1);

    /// <summary>
    /// Fills in the header as <see cref="Build()"/> does, stamping the idempotent producer's id, epoch and the
    /// sequence number of the first record, which let the broker acknowledge a retried batch without writing it twice.
    /// </summary>
    /// <exception cref="InvalidOperationException">No record was appended: a batch holds at least one.</exception>
    public ReadOnlyMemory<byte> Build(long producerId, short producerEpoch, int baseSequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Count == 0)
        {
            throw new InvalidOperationException("A batch holds at least one record.");
        }

        var batch = _buffer.AsSpan(0, _length);
        RecordBatch.WriteBaseOffset(batch, 0);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.LengthOffset..], _length - RecordBatch.LogOverhead);
        RecordBatch.WritePartitionLeaderEpoch(batch, -1);
        batch[RecordBatch.MagicOffset] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.AttributesOffset..], RecordCodec.SupportedAttributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.LastOffsetDeltaOffset..], Count - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.BaseTimestampOffset..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.MaxTimestampOffset..], _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.ProducerIdOffset..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.ProducerEpochOffset..], producerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.BaseSequenceOffset..], baseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.RecordCountOffset..], Count);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatch.CrcOffset..], Crc32C.Compute(batch[RecordBatch.CrcStart..]));
        return _buffer.AsMemory(0, _length);
    }

    /// <summary>Builds the batch and copies it to the start of <paramref name="destination"/>.</summary>
    /// <returns>The number of bytes written: <see cref="SizeInBytes"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="SizeInBytes"/>.</exception>
    public int WriteTo(Span<byte> destination)
    {
        var batch = Build().Span;
        batch.CopyTo(destination);
        return batch.Length;
    }

    /// <summary>Starts a new, empty batch in the same buffer.</summary>
    public void Reset()
    {
        _length = RecordBatch.HeaderSize;
        Count = 0;
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private static int WriteBytes(Span<byte> destination, ReadOnlySpan<byte> bytes, int length)
    {
        var n = Varint.Write(destination, length);
        bytes.CopyTo(destination[n..]);
        return n + bytes.Length;
    }

    /// <summary>The size of the next record after its length varint; its offset delta is <see cref="Count"/>.</summary>
    private int BodySize(long timestampDelta, int keyLength, int valueLength, ReadOnlySpan<RecordHeader> headers)
    {
        var size = checked(1 // attributes
            + Varint.SizeOf(timestampDelta)
            + Varint.SizeOf(Count)
            + Varint.SizeOf(keyLength) + Math.Max(keyLength, 0)
            + Varint.SizeOf(valueLength) + Math.Max(valueLength, 0)
            + Varint.SizeOf(headers.Length));
        foreach (var header in headers)
        {
            ArgumentNullException.ThrowIfNull(header.Key, nameof(headers));
            var headerKeyLength = Encoding.UTF8.GetByteCount(header.Key);
            var headerValueLength = header.Value?.Length ?? -1;
            size = checked(size
                + Varint.SizeOf(headerKeyLength) + headerKeyLength
                + Varint.SizeOf(headerValueLength) + Math.Max(headerValueLength, 0));
        }

        return size;
    }

    /// <summary>The first record's timestamp is the batch's base timestamp; later ones are deltas from it.</summary>
    private long TimestampDelta(long timestampMs) => Count == 0 ? 0 : checked(timestampMs - _baseTimestamp);

    private void EnsureCapacity(int recordSize)
    {
        var needed = checked(_length + recordSize);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, (int)Math.Min(2L * _buffer.Length, Array.MaxLength)));
        _buffer.AsSpan(0, _length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
