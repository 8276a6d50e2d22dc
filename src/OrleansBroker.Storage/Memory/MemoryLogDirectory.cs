using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Memory;

/// <summary>
/// A partition log in memory, for unit tests. It outlives the logs opened on it, so a reopen finds the
/// same segments. Its own state needs no lock: the engine calls it under the log's fence lock.
/// </summary>
internal sealed class MemoryLogDirectory : ILogDirectory
{
    private readonly SortedDictionary<long, MemorySegmentFile> _segments = [];
    private readonly Dictionary<long, byte[]> _indexes = [];
    private int _epoch;

    public void EnsureCreated()
    {
    }

    public int ReadEpoch() => _epoch;

    public void WriteEpoch(int epoch) => _epoch = epoch;

    public IReadOnlyList<long> ListSegments() => [.. _segments.Keys];

    public ISegmentFile OpenSegment(long baseOffset)
    {
        if (!_segments.TryGetValue(baseOffset, out var segment))
        {
            segment = new MemorySegmentFile();
            _segments.Add(baseOffset, segment);
        }

        return segment;
    }

    public byte[]? ReadIndex(long baseOffset) => _indexes.GetValueOrDefault(baseOffset);

    public void WriteIndex(long baseOffset, ReadOnlySpan<byte> index) => _indexes[baseOffset] = index.ToArray();

    public void DeleteSegment(long baseOffset)
    {
        _segments.Remove(baseOffset);
        _indexes.Remove(baseOffset);
    }

    public void Delete()
    {
        _segments.Clear();
        _indexes.Clear();
        _epoch = 0;
    }

    /// <summary>
    /// One segment as a growable array. The writer copies into a new array before publishing it and
    /// publishes the length last, so a reader that sees a length also sees the bytes below it.
    /// </summary>
    private sealed class MemorySegmentFile : ISegmentFile
    {
        private byte[] _data = [];
        private long _length;

        public long Length => Volatile.Read(ref _length);


        public bool IsFull => false;

        public bool LengthIsDurable => true;

        public int Read(Span<byte> buffer, long position)
        {
            var length = Length;
            var data = Volatile.Read(ref _data);
            var count = (int)Math.Clamp(length - position, 0, buffer.Length);
            data.AsSpan((int)position, count).CopyTo(buffer);
            return count;
        }

        public ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Read(buffer.Span, position));

        public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position)
        {
            var end = position;
            foreach (var buffer in buffers)
            {
                end += buffer.Length;
            }

            var data = _data;
            if (end > data.Length)
            {
                var grown = new byte[Math.Max(end, data.Length * 2L)];
                data.AsSpan(0, (int)_length).CopyTo(grown);
                Volatile.Write(ref _data, grown);
                data = grown;
            }

            foreach (var buffer in buffers)
            {
                buffer.Span.CopyTo(data.AsSpan((int)position));
                position += buffer.Length;
            }

            Volatile.Write(ref _length, Math.Max(_length, end));
        }

        public void Flush()
        {
        }

        public void Truncate(long length) => Volatile.Write(ref _length, Math.Min(_length, length));

        public void EndWrites()
        {
        }

        public void Dispose()
        {
        }
    }
}
