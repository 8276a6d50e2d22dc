namespace OrleansBroker.Records;

/// <summary>
/// Reads the records of zero or more concatenated batches, such as a fetch response or a segment read:
/// <code>
///  +---------+---------+-----+---------+----------------+
///  | batch 0 | batch 1 | ... | batch n | partial batch? |   a fetch may end mid-batch
///  +---------+---------+-----+---------+----------------+
/// </code>
/// Each batch is checked (lengths, magic, CRC-32C, header fields) before any of its records is handed out,
/// and each record is checked against the batch's bounds as it is read. A partial batch at the end ends
/// reading cleanly. This is a mutable cursor: keep it in a local and do not copy it.
/// </summary>
public struct RecordBatchReader
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly int _maxBatchSize;
    private RecordBatchHeader _header;
    private int _nextBatchStart;
    private int _recordsStart;
    private int _recordsLength;
    private int _recordPosition;
    private int _recordIndex;
    private bool _ended;

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Zero or more concatenated batches; the records read are slices of it.</param>
    /// <param name="maxBatchSize">The largest batch accepted, in bytes.</param>
    public RecordBatchReader(ReadOnlyMemory<byte> buffer, int maxBatchSize = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, RecordBatch.HeaderSize);
        _buffer = buffer;
        _maxBatchSize = maxBatchSize;
        NextOffset = -1;
    }

    /// <summary>
    /// <see cref="BatchStatus.Valid"/> while reading and after a clean end (including a partial batch at the
    /// end); otherwise what was wrong with the batch where reading stopped.
    /// </summary>
    public BatchStatus Status { get; private set; }

    /// <summary>The offset after the last record read; -1 until a record has been read.</summary>
    public long NextOffset { get; private set; }

    /// <summary>Reads the next record.</summary>
    /// <returns>False at the end of the buffer or on corrupt data; <see cref="Status"/> says which.</returns>
    public bool TryReadNext(out Record record)
    {
        record = default;
        if (_ended || (_recordIndex == _header.RecordCount && !TryOpenNextBatch()))
        {
            _ended = true;
            return false;
        }

        var records = _buffer.Span.Slice(_recordsStart, _recordsLength);
        var status = RecordCodec.TryParse(records, _recordPosition, _recordIndex, out var layout);
        if (status == BatchStatus.Valid && _recordIndex == _header.RecordCount - 1 && layout.End != records.Length)
        {
            // Bytes after the last counted record: the count and the body disagree.
            status = BatchStatus.InvalidRecordCount;
        }

        if (status != BatchStatus.Valid)
        {
            Status = status;
            _ended = true;
            return false;
        }

        var recordsMemory = _buffer.Slice(_recordsStart, _recordsLength);
        record = new Record(
            _header.BaseOffset + layout.OffsetDelta,
            _header.BaseTimestamp + layout.TimestampDelta,
            Slice(recordsMemory, layout.KeyStart, layout.KeyLength),
            layout.KeyLength < 0,
            Slice(recordsMemory, layout.ValueStart, layout.ValueLength),
            layout.ValueLength < 0,
            new RecordHeaders(recordsMemory.Slice(layout.HeadersStart, layout.HeadersLength), layout.HeaderCount));
        _recordPosition = layout.End;
        _recordIndex++;
        NextOffset = record.Offset + 1;
        return true;
    }

    private static ReadOnlyMemory<byte> Slice(ReadOnlyMemory<byte> memory, int start, int length) =>
        length < 0 ? ReadOnlyMemory<byte>.Empty : memory.Slice(start, length);

    private bool TryOpenNextBatch()
    {
        var remaining = _buffer.Span[_nextBatchStart..];
        if (remaining.IsEmpty)
        {
            return false;
        }

        var status = RecordBatchHeader.TryRead(remaining, _maxBatchSize, out var header);
        if (status == BatchStatus.Incomplete)
        {
            // Fetches stop at a byte limit, not at a batch boundary: the rest comes with the next fetch.
            return false;
        }

        if (status == BatchStatus.Valid)
        {
            status = RecordCodec.CheckHeader(header);
        }

        if (status != BatchStatus.Valid)
        {
            Status = status;
            return false;
        }

        _header = header;
        _recordsStart = _nextBatchStart + RecordBatch.HeaderSize;
        _recordsLength = header.TotalSize - RecordBatch.HeaderSize;
        _nextBatchStart += header.TotalSize;
        _recordPosition = 0;
        _recordIndex = 0;
        return true;
    }
}
