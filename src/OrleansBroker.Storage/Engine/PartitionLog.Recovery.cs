using System.Buffers;
using OrleansBroker.Records;

namespace OrleansBroker.Storage.Engine;

/// <summary>Recovery on open: sealed segments are trusted, the last one is scanned and its torn or corrupt tail cut off.</summary>
internal sealed partial class PartitionLog
{
    // Recovery reads the last segment in chunks of this size (plus room for one whole batch).
    private const int ScanChunkBytes = 1024 * 1024;

    private void Recover()
    {
        var baseOffsets = _directory.ListSegments();
        var segments = new List<Segment>(Math.Max(1, baseOffsets.Count));
        try
        {
            for (var i = 0; i < baseOffsets.Count - 1; i++)
            {
                segments.Add(LoadSealed(baseOffsets[i]));
            }

            // A producer retries only its latest batch, seconds after sending it: its state lies in the last
            // sealed segment or in the active one, which are read in order so the newest batch wins.
            if (segments.Count > 0)
            {
                RecoverProducers(segments[^1]);
            }

            segments.Add(RecoverActive(baseOffsets.Count == 0 ? 0 : baseOffsets[^1]));
        }
        catch
        {
            foreach (var segment in segments)
            {
                segment.File.Dispose();
            }

            throw;
        }

        var active = segments[^1];
        if (active.Length > 0)
        {
            // When the segment's first append happened is not stored: its age counts from this open.
            active.FirstAppendTime = _time.GetUtcNow();
        }

        _segments = [.. segments];
        _logStartOffset = segments[0].BaseOffset;
        _nextOffset = active.NextOffset;
        _highWatermark = active.NextOffset;
        _size = segments.Sum(segment => segment.Length);
    }

    private Segment LoadSealed(long baseOffset)
    {
        var file = _directory.OpenSegment(baseOffset);
        var length = file.Length;
        if (_directory.ReadIndex(baseOffset) is { } stored && SparseIndex.TryDecode(stored, length) is { } index)
        {
            // Scanning the tail after the last entry finds the segment's newest timestamp, and proves that the
            // entry points at a batch.
            var indexed = new Segment(baseOffset, file, index);
            indexed.ResumeFrom(index.Last);
            if (Scan(indexed, index.Last.Position, length) == length)
            {
                indexed.Publish(length);
                return indexed;
            }
        }

        var rebuilt = new Segment(baseOffset, file, new SparseIndex());
        if (Scan(rebuilt, 0, length) != length)
        {
            file.Dispose();
            throw new InvalidDataException($"The sealed segment {baseOffset} of {_partition} is corrupt; it is never truncated automatically.");
        }

        _directory.WriteIndex(baseOffset, rebuilt.Index.Encode());
        rebuilt.Publish(length);
        return rebuilt;
    }

    private Segment RecoverActive(long baseOffset)
    {
        var file = _directory.OpenSegment(baseOffset);
        var segment = new Segment(baseOffset, file, new SparseIndex());
        var length = file.Length;
        var end = Scan(segment, 0, length, trackProducers: true);
        if (end < length)
        {
            file.Truncate(end);
        }

        segment.Publish(end);
        return segment;
    }

    /// <summary>
    /// Tracks every whole, valid batch from <paramref name="position"/> whose base offset is the one
    /// expected next; returns where the valid prefix ends.
    /// </summary>
    private long Scan(Segment segment, long position, long length, bool trackProducers = false)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ScanChunkBytes + _config.MaxBatchBytes);
        try
        {
            long chunkStart = position;
            var chunkLength = 0;
            var refilled = false;
            while (position < length)
            {
                var available = buffer.AsSpan((int)(position - chunkStart), chunkLength - (int)(position - chunkStart));
                var status = RecordBatchHeader.TryRead(available, _config.MaxBatchBytes, out var header);

                // The buffer holds a whole batch of the largest size: a batch still incomplete after a refill
                // at its start is torn.
                if (status == BatchStatus.Incomplete && !refilled)
                {
                    chunkStart = position;
                    chunkLength = ReadFully(segment.File, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - position)), position);
                    refilled = true;
                    continue;
                }

                if (status != BatchStatus.Valid || header.BaseOffset != segment.NextOffset)
                {
                    break;
                }

                segment.Track(position, header.BaseOffset, header.NextOffset, header.MaxTimestamp, _config.IndexIntervalBytes);
                if (trackProducers)
                {
                    _producers.Record(header, Task.FromResult(header.BaseOffset));
                }

                position += header.TotalSize;
                refilled = false;
            }

            return position;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the producer state of a sealed (already verified) segment from its batch headers alone, a chunk at a time:
    /// one read per header would cost a disk read per batch where reads bypass the page cache (direct I/O).
    /// </summary>
    private void RecoverProducers(Segment segment)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ScanChunkBytes);
        try
        {
            var length = segment.File.Length;
            long chunkStart = 0;
            var chunkLength = 0;
            for (long position = 0; position + RecordBatch.HeaderSize <= length;)
            {
                if (position + RecordBatch.HeaderSize > chunkStart + chunkLength)
                {
                    chunkStart = position;
                    chunkLength = ReadFully(segment.File, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - position)), position);
                    if (chunkLength < RecordBatch.HeaderSize)
                    {
                        break;
                    }
                }

                var header = RecordBatchHeader.ReadUnchecked(buffer.AsSpan((int)(position - chunkStart), RecordBatch.HeaderSize));
                if (header.TotalSize < RecordBatch.HeaderSize)
                {
                    break;
                }

                _producers.Record(header, Task.FromResult(header.BaseOffset));
                position += header.TotalSize;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ReadFully(ISegmentFile file, Span<byte> buffer, long position)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = file.Read(buffer[total..], position + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
