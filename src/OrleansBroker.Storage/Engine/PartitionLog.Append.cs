using System.Diagnostics.CodeAnalysis;
using OrleansBroker.Records;

namespace OrleansBroker.Storage.Engine;

/// <summary>Appends: offsets are assigned on the caller's thread, one writer loop per log does group commits.</summary>
internal sealed partial class PartitionLog
{
    private readonly Lock _appendLock = new();
    private readonly List<ReadOnlyMemory<byte>> _gather = [];
    private List<PendingAppend> _queue = [];
    private List<PendingAppend> _draining = [];
    private long _nextOffset;
    private bool _writing;
    private bool _disposed;
    private TaskCompletionSource _idle = Idle();
    private Exception? _fault;

    // How many appends of the group being committed are stored for good: when the commit fails, these are acknowledged all the same.
    private int _stored;

    public ValueTask<long> AppendAsync(Memory<byte> batch, CancellationToken cancellationToken = default)
    {
        // Recovery keeps only batches that pass this same check, so a batch accepted here can never make a
        // restart truncate acknowledged data behind it.
        var status = RecordBatchHeader.TryRead(batch.Span, _config.MaxBatchBytes, out var header);
        if (status != BatchStatus.Valid || header.TotalSize != batch.Length)
        {
            ThrowInvalidBatch(status, batch.Length, nameof(batch));
        }

        return EnqueueAsync(batch, header, cancellationToken);
    }

    public ValueTask<long> AppendAsync(ValidatedBatch batch, CancellationToken cancellationToken = default)
    {
        // The validator checked what recovery checks but against the caller's size limit, not this log's; and a default
        // instance, which no validator handed out, holds no batch at all.
        if (batch.Bytes.Length < RecordBatch.HeaderSize || batch.Header.TotalSize != batch.Bytes.Length)
        {
            ThrowInvalidBatch(BatchStatus.Incomplete, batch.Bytes.Length, nameof(batch));
        }

        if (batch.Header.TotalSize > _config.MaxBatchBytes)
        {
            ThrowInvalidBatch(BatchStatus.TooLarge, batch.Bytes.Length, nameof(batch));
        }

        return EnqueueAsync(batch.Bytes, batch.Header, cancellationToken);
    }

    private ValueTask<long> EnqueueAsync(Memory<byte> batch, in RecordBatchHeader header, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<long>(cancellationToken);
        }

        var completion = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_appendLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fault is not null)
            {
                return ValueTask.FromException<long>(_fault);
            }

            switch (_producers.Check(header, out var earlierAppend))
            {
                case SequenceCheck.Duplicate:
                    // A retry of a batch already appended (or still being written): answer with its offset, write nothing.
                    return new ValueTask<long>(earlierAppend!);
                case SequenceCheck.OutOfOrder:
                    return ValueTask.FromException<long>(new OutOfOrderSequenceException(
                        $"Producer {header.ProducerId} sent sequence {header.BaseSequence} to {_partition}, which does not follow its last batch."));
                case SequenceCheck.FencedProducerEpoch:
                    return ValueTask.FromException<long>(new OutOfOrderSequenceException(
                        $"Producer {header.ProducerId} epoch {header.ProducerEpoch} is older than the one {_partition} last saw."));
            }

            // Offsets are taken before the caller's first await, so concurrent calls keep their call order.
            var baseOffset = _nextOffset;
            RecordBatch.WriteBaseOffset(batch.Span, baseOffset);
            RecordBatch.WritePartitionLeaderEpoch(batch.Span, _epoch);
            Interlocked.Exchange(ref _nextOffset, baseOffset + header.LastOffsetDelta + 1);
            _queue.Add(new PendingAppend(batch, baseOffset, _nextOffset, header.MaxTimestamp, completion));
            _producers.Record(header, completion.Task);
            if (!_writing)
            {
                _writing = true;
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                ScheduleCommit();
            }
        }

        return new ValueTask<long>(completion.Task);
    }

    [DoesNotReturn]
    private static void ThrowInvalidBatch(BatchStatus status, int length, string paramName) =>
        throw new ArgumentException($"The batch ({length} bytes) is not a valid record batch: {status}.", paramName);

    private bool BeginDispose(out Task writer)
    {
        lock (_appendLock)
        {
            writer = _idle.Task;
            if (_disposed)
            {
                return false;
            }

            _disposed = true;
            return true;
        }
    }

    private static TaskCompletionSource Idle()
    {
        var idle = new TaskCompletionSource();
        idle.SetResult();
        return idle;
    }

    private void ScheduleCommit() => _ = WriterThreads.Shared.Factory.StartNew(CommitQueued, CancellationToken.None);

    /// <summary>
    /// One turn of the writer: writes everything queued as one group commit, then hands the thread back and
    /// queues the next turn if more arrived meanwhile, so a busy log never holds a writer thread other logs wait for.
    /// </summary>
    private void CommitQueued()
    {
        List<PendingAppend> group;
        Exception? fault;
        lock (_appendLock)
        {
            group = _queue;
            _queue = _draining;
            _draining = group;
            fault = _fault;
        }

        var stored = 0;
        if (fault is null)
        {
            fault = TryCommit(group);
            stored = fault is null ? group.Count : _stored;
        }

        if (stored > 0)
        {
            Volatile.Write(ref _highWatermark, group[stored - 1].NextOffset);
            foreach (var append in group.Take(stored))
            {
                append.Completion.TrySetResult(append.BaseOffset);
            }

            SignalData();
        }

        if (fault is not null)
        {
            lock (_appendLock)
            {
                // A failed or fenced log writes nothing more: later appends fail at once, queued ones here.
                _fault ??= fault;
            }

            foreach (var append in group.Skip(stored))
            {
                append.Completion.TrySetException(fault);
            }
        }

        // Drop the references to the callers' buffers: they are theirs again.
        group.Clear();
        TaskCompletionSource? idle = null;
        lock (_appendLock)
        {
            if (_queue.Count == 0)
            {
                _writing = false;
                idle = _idle;
            }
        }

        if (idle is null)
        {
            ScheduleCommit();
        }
        else
        {
            idle.TrySetResult();
        }
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Any write failure must fail the appends it carries, not the writer loop.")]
    private Exception? TryCommit(List<PendingAppend> group)
    {
        _stored = 0;
        try
        {
            Commit(group);
            return null;
        }
        catch (Exception exception)
        {
            _gather.Clear();
            return exception is StaleEpochException
                ? exception
                : new LogStorageException($"Writing to the log of {_partition} failed; the log takes no more appends until it is opened again. {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Writes one group: under the fence lock, checks that this epoch still owns the log, rolls segments
    /// as needed, writes each segment's share with one gathered write and fsyncs once (when configured).
    /// </summary>
    private void Commit(List<PendingAppend> group)
    {
        var now = _time.GetUtcNow();
        lock (_fence.Sync)
        {
            ThrowIfStale();
            var segment = _segments[^1];
            var position = segment.Length;
            var share = 0;
            for (var i = 0; i < group.Count; i++)
            {
                var append = group[i];
                if (position > 0 && MustRoll(segment, position, append, now))
                {
                    // The sealed segment is always fsynced, whatever FlushOnCommit says.
                    WriteShare(segment, group, share, i, position, flush: true);
                    segment = Roll(segment, append.BaseOffset);
                    position = 0;
                    share = i;
                }

                segment.Track(position, append.BaseOffset, append.NextOffset, append.MaxTimestamp, _config.IndexIntervalBytes);
                segment.FirstAppendTime ??= now;
                _gather.Add(append.Batch);
                position += append.Batch.Length;
            }

            WriteShare(segment, group, share, group.Count, position, _config.FlushOnCommit);
        }
    }

    /// <summary>
    /// Writes one segment's share of a group, the appends from <paramref name="first"/> to before <paramref name="end"/>, and
    /// counts them stored. When the write fails but the backend's length counts only durable bytes, the appends that fit in
    /// what landed count as stored and readers see them: a group written in several storage writes (append blocks) lands
    /// in part, and those batches are in the log for good, so a stale writer fenced between two of its blocks still answers
    /// for exactly what it wrote.
    /// </summary>
    private void WriteShare(Segment segment, List<PendingAppend> group, int first, int end, long position, bool flush)
    {
        var start = segment.Length;
        try
        {
            WriteGathered(segment, position, flush);
            _stored = end;
        }
        catch (Exception) when (segment.File.LengthIsDurable)
        {
            var landed = segment.File.Length;
            var stored = start;
            for (var i = first; i < end && stored + group[i].Batch.Length <= landed; i++)
            {
                stored += group[i].Batch.Length;
                _stored = i + 1;
            }

            Interlocked.Add(ref _size, stored - start);
            segment.Publish(stored);
            throw;
        }
    }

    private bool MustRoll(Segment segment, long position, in PendingAppend append, DateTimeOffset now) =>
        position + append.Batch.Length > _config.SegmentBytes ||
        now - segment.FirstAppendTime >= _config.SegmentAge ||
        segment.File.IsFull ||

        // Index entries hold offsets relative to the segment in 32 bits.
        append.NextOffset - 1 - segment.BaseOffset > int.MaxValue;

    private void WriteGathered(Segment segment, long end, bool flush)
    {
        var start = segment.Length;
        if (_gather.Count > 0)
        {
            segment.File.Write(_gather, start);
            _gather.Clear();
        }

        if (flush)
        {
            segment.File.Flush();
            Interlocked.Increment(ref _flushCount);
        }

        Interlocked.Add(ref _size, end - start);
        segment.Publish(end);
    }

    private Segment Roll(Segment sealing, long baseOffset)
    {
        sealing.File.EndWrites();
        _directory.WriteIndex(sealing.BaseOffset, sealing.Index.Encode());

        // The new file appears only after the old one (trimmed) and its index are durable, so a crash in between
        // leaves the old segment last, and recovery scans it like any active segment.
        var next = new Segment(baseOffset, _directory.OpenSegment(baseOffset), new SparseIndex());
        Volatile.Write(ref _segments, [.. _segments, next]);
        return next;
    }

    private readonly record struct PendingAppend(Memory<byte> Batch, long BaseOffset, long NextOffset, long MaxTimestamp, TaskCompletionSource<long> Completion);
}
