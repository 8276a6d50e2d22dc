namespace OrleansBroker.Storage.Engine;

/// <summary>
/// Where one partition log keeps its bytes: a backend (files, memory) implements this and the shared
/// <see cref="PartitionLog"/> engine does everything else (offsets, group commit, index, recovery, retention).
/// Every mutating call is made under the log's <see cref="EpochFence"/> lock by the current epoch's writer.
/// </summary>
internal interface ILogDirectory
{
    /// <summary>Creates the directory when it does not exist.</summary>
    void EnsureCreated();

    /// <summary>The epoch persisted by the last successful open, or 0 when none was.</summary>
    int ReadEpoch();

    /// <summary>Persists the epoch durably before the open that took it returns.</summary>
    void WriteEpoch(int epoch);

    /// <summary>The base offsets of the existing segments, ascending.</summary>
    IReadOnlyList<long> ListSegments();

    /// <summary>Opens the segment, creating it empty when it does not exist.</summary>
    ISegmentFile OpenSegment(long baseOffset);

    /// <summary>The stored sparse index of a segment, or null when there is none.</summary>
    byte[]? ReadIndex(long baseOffset);

    /// <summary>Stores the sparse index of a sealed segment durably.</summary>
    void WriteIndex(long baseOffset, ReadOnlySpan<byte> index);

    /// <summary>
    /// Deletes a segment's index, then the segment (its file must be disposed first): a failure in between leaves a segment
    /// whose index the next open rebuilds, never an index without its segment. Deleting what is gone already does nothing.
    /// </summary>
    void DeleteSegment(long baseOffset);

    /// <summary>Deletes everything the log holds.</summary>
    void Delete();
}

/// <summary>The bytes of one segment, read and written at explicit positions.</summary>
internal interface ISegmentFile : IDisposable
{
    /// <summary>The stored length, including any torn tail not yet recovered.</summary>
    long Length { get; }

    /// <summary>
    /// The backend takes no further write into this segment (an append blob near its block-count limit):
    /// the engine rolls before the next batch instead.
    /// </summary>
    bool IsFull { get; }

    /// <summary>
    /// Every byte counted by <see cref="Length"/> is durable, even after a failed <see cref="Write"/> (which may have landed
    /// some of its batches): the engine acknowledges the appends those bytes hold. False where bytes wait for <see cref="Flush"/>.
    /// </summary>
    bool LengthIsDurable { get; }

    /// <summary>Reads at <paramref name="position"/> on the calling thread (recovery only); returns the bytes read.</summary>
    int Read(Span<byte> buffer, long position);

    /// <summary>Reads at <paramref name="position"/> without blocking the calling thread; returns the bytes read.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken);

    /// <summary>Writes the buffers back to back at <paramref name="position"/> with one gathered write.</summary>
    void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position);

    /// <summary>Makes everything written so far durable (fsync).</summary>
    void Flush();

    /// <summary>Cuts the segment to <paramref name="length"/> bytes and makes that durable.</summary>
    void Truncate(long length);

    /// <summary>
    /// Ends this opening's writes, once every written byte is durable: the log's owner calls it when it seals the segment
    /// and when it closes the log. The backend cuts off, durably, anything it stored past the written bytes (direct I/O pads
    /// its last block with zeros), so a sealed segment holds exactly its batches, and hands the page cache limit the
    /// written bytes it has not counted yet. Backends with neither do nothing.
    /// </summary>
    void EndWrites();
}
