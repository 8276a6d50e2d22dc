using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Tests;

/// <summary>A log directory that counts the reads of its segments, around a real backend's directory.</summary>
internal sealed class CountingLogDirectory(ILogDirectory inner) : ILogDirectory
{
    private int _reads;

    /// <summary>Reads of any of its segments so far, blocking or not.</summary>
    public int Reads => Volatile.Read(ref _reads);

    public void EnsureCreated() => inner.EnsureCreated();

    public int ReadEpoch() => inner.ReadEpoch();

    public void WriteEpoch(int epoch) => inner.WriteEpoch(epoch);

    public IReadOnlyList<long> ListSegments() => inner.ListSegments();

    public ISegmentFile OpenSegment(long baseOffset) => new CountingSegmentFile(inner.OpenSegment(baseOffset), this);

    public byte[]? ReadIndex(long baseOffset) => inner.ReadIndex(baseOffset);

    public void WriteIndex(long baseOffset, ReadOnlySpan<byte> index) => inner.WriteIndex(baseOffset, index);

    public void DeleteSegment(long baseOffset) => inner.DeleteSegment(baseOffset);

    public void Delete() => inner.Delete();

    private sealed class CountingSegmentFile(ISegmentFile file, CountingLogDirectory directory) : ISegmentFile
    {
        public long Length => file.Length;

        public bool IsFull => file.IsFull;

        public bool LengthIsDurable => file.LengthIsDurable;

        public int Read(Span<byte> buffer, long position)
        {
            Interlocked.Increment(ref directory._reads);
            return file.Read(buffer, position);
        }

        public ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref directory._reads);
            return file.ReadAsync(buffer, position, cancellationToken);
        }

        public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position) => file.Write(buffers, position);

        public void Flush() => file.Flush();

        public void Truncate(long length) => file.Truncate(length);

        public void EndWrites() => file.EndWrites();

        public void Dispose() => file.Dispose();
    }
}
