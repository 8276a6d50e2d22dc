using System.Buffers;
using OrleansBroker.Records;

namespace OrleansBroker.Storage.Engine;

/// <summary>Reads: positional, concurrent with appends, bounded by the high watermark.</summary>
internal sealed partial class PartitionLog
{
    // Enough for the headers of the batches between two index entries at the default interval.
    private const int LocateChunkBytes = 8 * 1024;

    private TaskCompletionSource _dataArrived = NewSignal();

    public async ValueTask<LogReadResult> ReadAsync(long offset, int maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var highWatermark = HighWatermark;
        var logStartOffset = LogStartOffset;
        if (offset < logStartOffset || offset > highWatermark)
        {
            return new LogReadResult(LogReadStatus.OffsetOutOfRange, default, logStartOffset, highWatermark);
        }

        if (offset == highWatermark)
        {
            return new LogReadResult(LogReadStatus.Ok, ReadOnlyMemory<byte>.Empty, logStartOffset, highWatermark);
        }

        try
        {
            var batches = await ReadBatchesAsync(offset, maxBytes, highWatermark, cancellationToken);
            return batches is null
                ? new LogReadResult(LogReadStatus.OffsetOutOfRange, default, LogStartOffset, highWatermark)
                : new LogReadResult(LogReadStatus.Ok, batches, logStartOffset, highWatermark);
        }
        catch (ObjectDisposedException) when (offset < LogStartOffset)
        {
            // Retention deleted the segment while it was being read.
            return new LogReadResult(LogReadStatus.OffsetOutOfRange, default, LogStartOffset, highWatermark);
        }
    }

    public async Task WaitForDataAsync(long offset, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take the signal before checking: the writer moves the high watermark before it swaps and
            // completes the signal, so no wake-up is lost between the check and the wait.
            var signal = Volatile.Read(ref _dataArrived);
            if (HighWatermark > offset)
            {
                return;
            }

            await signal.Task.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask<long?> FindOffsetByTimestampAsync(long timestamp, CancellationToken cancellationToken = default)
    {
        var highWatermark = HighWatermark;
        foreach (var segment in Volatile.Read(ref _segments))
        {
            if (segment.MaxTimestamp < timestamp)
            {
                continue;
            }

            var position = (long)segment.Index.FloorByTimestamp(timestamp).Position;
            var end = segment.Length;
            var buffer = ArrayPool<byte>.Shared.Rent(RecordBatch.HeaderSize);
            try
            {
                while (position < end)
                {
                    await ReadExactlyAsync(segment.File, buffer.AsMemory(0, RecordBatch.LogOverhead), position, cancellationToken);
                    var baseOffset = RecordBatch.ReadBaseOffset(buffer);
                    if (baseOffset >= highWatermark)
                    {
                        return null;
                    }

                    var size = RecordBatch.ReadTotalSize(buffer);
                    if (buffer.Length < size)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(size);
                    }

                    await ReadExactlyAsync(segment.File, buffer.AsMemory(0, size), position, cancellationToken);
                    if (RecordBatchHeader.TryRead(buffer.AsSpan(0, size), _config.MaxBatchBytes, out var header) != BatchStatus.Valid)
                    {
                        throw new InvalidDataException($"The log of {_partition} holds a corrupt batch at offset {baseOffset}.");
                    }

                    // The batch is the finest grain the log knows: records are not decoded here.
                    if (header.MaxTimestamp >= timestamp)
                    {
                        return baseOffset;
                    }

                    position += size;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        return null;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void SignalData() => Interlocked.Exchange(ref _dataArrived, NewSignal()).TrySetResult();

    private void FailWaiters(Exception exception)
    {
        var failed = NewSignal();
        failed.SetException(exception);
        Interlocked.Exchange(ref _dataArrived, failed).TrySetException(exception);
    }

    /// <summary>Whole batches from the one holding <paramref name="offset"/>, or null when retention removed it.</summary>
    private async ValueTask<byte[]?> ReadBatchesAsync(long offset, int maxBytes, long highWatermark, CancellationToken cancellationToken)
    {
        var segments = Volatile.Read(ref _segments);
        var index = FindSegment(segments, offset);
        if (index < 0)
        {
            return null;
        }

        var segment = segments[index];
        var (position, firstSize) = await LocateAsync(segment, offset, cancellationToken);
        var capacity = Math.Max(maxBytes, firstSize);
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var filled = 0;
            while (true)
            {
                var end = segment.Length;
                var chunk = buffer.AsMemory(filled, (int)Math.Min(capacity - filled, end - position));
                await ReadExactlyAsync(segment.File, chunk, position, cancellationToken);
                var taken = WholeBatchesBelow(chunk.Span, highWatermark);
                filled += taken;

                // Go on into the next segment only when this one was read to its end and room is left.
                if (position + taken != end || filled == capacity || ++index == segments.Length || segments[index].BaseOffset >= highWatermark)
                {
                    break;
                }

                segment = segments[index];
                position = 0;
            }

            return buffer.AsSpan(0, filled).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The index of the last segment whose base offset is at or below <paramref name="offset"/>, or -1.</summary>
    private static int FindSegment(Segment[] segments, long offset)
    {
        int low = 0, high = segments.Length - 1, found = -1;
        while (low <= high)
        {
            var mid = low + ((high - low) >> 1);
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found;
    }

    /// <summary>
    /// The position and size of the batch holding <paramref name="offset"/>: from the index entry at or
    /// below it, hops from batch header to batch header until the next batch starts past the offset.
    /// </summary>
    private static async ValueTask<(long Position, int Size)> LocateAsync(Segment segment, long offset, CancellationToken cancellationToken)
    {
        var position = (long)segment.Index.FloorByOffset(checked((int)(offset - segment.BaseOffset))).Position;
        var end = segment.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(LocateChunkBytes);
        try
        {
            long chunkStart = 0, chunkEnd = 0, found = -1;
            var foundSize = 0;
            while (position < end)
            {
                if (position < chunkStart || position + RecordBatch.LogOverhead > chunkEnd)
                {
                    var length = (int)Math.Min(buffer.Length, end - position);
                    await ReadExactlyAsync(segment.File, buffer.AsMemory(0, length), position, cancellationToken);
                    chunkStart = position;
                    chunkEnd = position + length;
                }

                var header = buffer.AsSpan((int)(position - chunkStart));
                if (RecordBatch.ReadBaseOffset(header) > offset)
                {
                    break;
                }

                found = position;
                foundSize = RecordBatch.ReadTotalSize(header);
                position += foundSize;
            }

            return (found, foundSize);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The length of the whole batches at the start of <paramref name="bytes"/> that lie below the high watermark.</summary>
    private static int WholeBatchesBelow(ReadOnlySpan<byte> bytes, long highWatermark)
    {
        var taken = 0;
        while (bytes.Length - taken >= RecordBatch.LogOverhead)
        {
            var batch = bytes[taken..];
            var size = RecordBatch.ReadTotalSize(batch);
            if (RecordBatch.ReadBaseOffset(batch) >= highWatermark || size > batch.Length)
            {
                break;
            }

            taken += size;
        }

        return taken;
    }

    private static async ValueTask ReadExactlyAsync(ISegmentFile file, Memory<byte> buffer, long position, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            var read = await file.ReadAsync(buffer, position, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException($"A segment ended at {position}, before its committed length.");
            }

            buffer = buffer[read..];
            position += read;
        }
    }
}
