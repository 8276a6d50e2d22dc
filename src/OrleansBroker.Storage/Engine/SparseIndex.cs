using System.Buffers.Binary;

namespace OrleansBroker.Storage.Engine;

/// <summary>
/// One sparse index entry. It points at the start of a batch.
/// <code>
///  0                  4                  8                              16
///  +------------------+------------------+------------------------------+
///  | relativeOffset   | position int32   | maxTimestamp int64           |
///  | int32            |                  |                              |
///  +------------------+------------------+------------------------------+
/// </code>
/// Big-endian like the batches. <c>relativeOffset</c> is the batch's base offset minus the segment's;
/// <c>maxTimestamp</c> is the largest timestamp of the segment up to and including that batch, so it
/// never decreases along the index and a binary search finds where a timestamp lookup must start.
/// </summary>
internal readonly record struct IndexEntry(int RelativeOffset, int Position, long MaxTimestamp)
{
    public const int Size = 16;

    /// <summary>The implicit entry for the start of every segment.</summary>
    public static IndexEntry Start { get; } = new(0, 0, long.MinValue);
}

/// <summary>
/// The sparse offset and time index of one segment, held in memory. One writer adds entries while
/// readers search: entries are never changed once published, and the array is replaced (not resized
/// in place) when it grows, so a reader's snapshot stays valid.
/// </summary>
internal sealed class SparseIndex
{
    private IndexEntry[] _entries;
    private int _count;

    public SparseIndex()
        : this([], 0)
    {
    }

    private SparseIndex(IndexEntry[] entries, int count)
    {
        _entries = entries;
        _count = count;
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>The last entry, or <see cref="IndexEntry.Start"/> when there is none.</summary>
    public IndexEntry Last => Snapshot() is { Length: > 0 } entries ? entries[^1] : IndexEntry.Start;

    public void Add(IndexEntry entry)
    {
        var count = _count;
        if (count == _entries.Length)
        {
            var grown = new IndexEntry[Math.Max(64, count * 2)];
            Array.Copy(_entries, grown, count);
            grown[count] = entry;
            Volatile.Write(ref _entries, grown);
        }
        else
        {
            _entries[count] = entry;
        }

        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>The last entry at or below <paramref name="relativeOffset"/>.</summary>
    public IndexEntry FloorByOffset(int relativeOffset)
    {
        var entries = Snapshot();
        int low = 0, high = entries.Length - 1, found = -1;
        while (low <= high)
        {
            var mid = low + ((high - low) >> 1);
            if (entries[mid].RelativeOffset <= relativeOffset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found < 0 ? IndexEntry.Start : entries[found];
    }

    /// <summary>The last entry whose batches so far are all older than <paramref name="timestamp"/>: a search for it can start there.</summary>
    public IndexEntry FloorByTimestamp(long timestamp)
    {
        var entries = Snapshot();
        int low = 0, high = entries.Length - 1, found = -1;
        while (low <= high)
        {
            var mid = low + ((high - low) >> 1);
            if (entries[mid].MaxTimestamp < timestamp)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found < 0 ? IndexEntry.Start : entries[found];
    }

    public byte[] Encode()
    {
        var entries = Snapshot();
        var bytes = new byte[entries.Length * IndexEntry.Size];
        for (var i = 0; i < entries.Length; i++)
        {
            var span = bytes.AsSpan(i * IndexEntry.Size, IndexEntry.Size);
            BinaryPrimitives.WriteInt32BigEndian(span, entries[i].RelativeOffset);
            BinaryPrimitives.WriteInt32BigEndian(span[4..], entries[i].Position);
            BinaryPrimitives.WriteInt64BigEndian(span[8..], entries[i].MaxTimestamp);
        }

        return bytes;
    }

    /// <summary>
    /// Decodes a stored index, or returns null when it cannot be right for a segment of
    /// <paramref name="segmentLength"/> bytes (torn, or offsets, positions or timestamps out of order).
    /// </summary>
    public static SparseIndex? TryDecode(ReadOnlySpan<byte> bytes, long segmentLength)
    {
        if (bytes.Length % IndexEntry.Size != 0)
        {
            return null;
        }

        var entries = new IndexEntry[bytes.Length / IndexEntry.Size];
        var previous = IndexEntry.Start;
        for (var i = 0; i < entries.Length; i++)
        {
            var span = bytes.Slice(i * IndexEntry.Size, IndexEntry.Size);
            var entry = new IndexEntry(
                BinaryPrimitives.ReadInt32BigEndian(span),
                BinaryPrimitives.ReadInt32BigEndian(span[4..]),
                BinaryPrimitives.ReadInt64BigEndian(span[8..]));
            if (entry.RelativeOffset <= previous.RelativeOffset || entry.Position <= previous.Position ||
                entry.Position >= segmentLength || entry.MaxTimestamp < previous.MaxTimestamp)
            {
                return null;
            }

            entries[i] = entry;
            previous = entry;
        }

        return new SparseIndex(entries, entries.Length);
    }

    private ReadOnlySpan<IndexEntry> Snapshot()
    {
        // Count first: the writer publishes a grown array before the count that needs it.
        var count = Volatile.Read(ref _count);
        return Volatile.Read(ref _entries).AsSpan(0, count);
    }
}
