namespace OrleansBroker.Storage.Engine;

/// <summary>
/// One segment of a partition log: its file, its sparse index and what the writer knows about it.
/// The writer (under the fence lock) tracks batches and publishes the committed length; readers only
/// look at bytes below <see cref="Length"/>.
/// </summary>
internal sealed class Segment(long baseOffset, ISegmentFile file, SparseIndex index)
{
    private long _length;
    private long _lastIndexedPosition;

    public long BaseOffset { get; } = baseOffset;

    public ISegmentFile File { get; } = file;

    public SparseIndex Index { get; } = index;

    /// <summary>Bytes written and acknowledged-ready: readers never look past this.</summary>
    public long Length => Volatile.Read(ref _length);

    /// <summary>The offset after the last tracked batch.</summary>
    public long NextOffset { get; private set; } = baseOffset;

    /// <summary>The largest batch timestamp seen, or <see cref="long.MinValue"/> while empty.</summary>
    public long MaxTimestamp { get; private set; } = long.MinValue;

    /// <summary>When the first batch was appended in this process (drives the roll by age).</summary>
    public DateTimeOffset? FirstAppendTime { get; set; }

    /// <summary>Starts from a stored index: tracking resumes at its last entry.</summary>
    public void ResumeFrom(IndexEntry entry)
    {
        _lastIndexedPosition = entry.Position;
        MaxTimestamp = entry.MaxTimestamp;
        NextOffset = BaseOffset + entry.RelativeOffset;
    }

    /// <summary>Records a batch the writer is about to write (or recovery found) at <paramref name="position"/>.</summary>
    public void Track(long position, long baseOffset, long nextOffset, long maxTimestamp, int indexIntervalBytes)
    {
        MaxTimestamp = Math.Max(MaxTimestamp, maxTimestamp);
        NextOffset = nextOffset;
        if (position - _lastIndexedPosition >= indexIntervalBytes)
        {
            Index.Add(new IndexEntry(checked((int)(baseOffset - BaseOffset)), checked((int)position), MaxTimestamp));
            _lastIndexedPosition = position;
        }
    }

    public void Publish(long length) => Volatile.Write(ref _length, length);
}
