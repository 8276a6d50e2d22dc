using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.Queues;
using OrleansBroker.Grains.State;
using OrleansBroker.Records;

namespace OrleansBroker.Grains;

/// <summary>
/// One partition of a queue group. Reentrant on purpose: acquires wait (long poll) without blocking acks and
/// releases, and acks that arrive during a state write are written together by the next one (group commit).
/// Every state change happens in a synchronous stretch of a turn, so interleaved calls never see half of one.
/// Records are never copied into the grain: an acquire reads the partition's batches and hands them on.
/// </summary>
[Reentrant]
public sealed partial class QueueGrain(
    [PersistentState("queue", BrokerStorage.MetadataStorageName)] IPersistentState<QueueState> state,
    IOptions<BrokerOptions> options,
    TimeProvider timeProvider,
    ILogger<QueueGrain> logger) : Grain, IQueueGrain
{
    private const int MaxRecordsPerAcquire = 10_000;
    private static readonly TimeSpan MaxLeaseDuration = TimeSpan.FromHours(12);

    private readonly QueueOptions _options = options.Value.Queues;
    private readonly TimeSpan _maxWait = options.Value.MaxFetchWait;
    private readonly List<long> _leased = [];
    private readonly List<short> _deliveryCounts = [];
    private readonly List<long> _exhausted = [];
    private QueuePartitionId _id;
    private IPartitionGrain _partition = null!;
    private DeliveryWindow _window = null!;
    private long _highWatermark;
    private long _acknowledged;
    private long _deadLettered;
    private TaskCompletionSource _changed = NewSignal();
    private Task? _tailPoll;
    private Task? _writer;
    private TaskCompletionSource? _writeWaiters;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _id = QueuePartitionId.Parse(this.GetPrimaryKeyString());
        _partition = GrainFactory.GetGrain<IPartitionGrain>(_id.TopicPartition.ToString());
        var saved = state.State;
        _window = new DeliveryWindow(_options.WindowSize, saved.StartOffset, saved.Window);
        _acknowledged = saved.Acknowledged;
        _deadLettered = saved.DeadLettered;
        return Task.CompletedTask;
    }

    public async ValueTask<QueueLease> AcquireAsync(string memberId, int maxRecords, TimeSpan leaseDuration, TimeSpan maxWait)
    {
        ValidateMember(memberId);
        if (maxRecords is <= 0 or > MaxRecordsPerAcquire)
        {
            throw new InvalidRequestException($"maxRecords must be between 1 and {MaxRecordsPerAcquire}, not {maxRecords}.");
        }

        if (leaseDuration <= TimeSpan.Zero || leaseDuration > MaxLeaseDuration)
        {
            throw new InvalidRequestException($"The lease duration must be above 0 and at most {MaxLeaseDuration}, not {leaseDuration}.");
        }

        var waitUntil = Now + Ticks(maxWait < _maxWait ? maxWait : _maxWait);
        var probed = false;
        while (true)
        {
            var now = Now;
            _window.Expire(now);
            var from = _window.FirstAvailable(_highWatermark);
            if (from is null && !probed && _highWatermark < _window.End)
            {
                // Nothing waits below the last high watermark seen: look once for records appended since.
                from = _highWatermark;
                probed = true;
            }

            if (from is { } offset)
            {
                if (await LeaseFromAsync(offset, memberId, maxRecords, leaseDuration) is { } lease)
                {
                    return lease;
                }

                continue;
            }

            if (now >= waitUntil)
            {
                return QueueLease.Empty;
            }

            await WaitForChangeAsync(now, waitUntil);
        }
    }

    public async ValueTask AcknowledgeAsync(string memberId, ImmutableArray<long> offsets)
    {
        RequireLeased(memberId, offsets);
        var start = _window.Start;
        _acknowledged += _window.Complete(offsets.AsSpan());
        if (_window.Start != start)
        {
            // The window moved: records past its old end may now be acquired.
            Signal();
        }

        await PersistAsync();
    }

    public ValueTask ReleaseAsync(string memberId, ImmutableArray<long> offsets, TimeSpan delay)
    {
        RequireLeased(memberId, offsets);
        if (delay < TimeSpan.Zero)
        {
            throw new InvalidRequestException($"The release delay must not be negative, not {delay}.");
        }

        _window.Release(offsets.AsSpan(), delay > TimeSpan.Zero ? Now + Ticks(delay) : null);
        Signal();
        return ValueTask.CompletedTask;
    }

    public async ValueTask RejectAsync(string memberId, ImmutableArray<long> offsets, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        RequireLeased(memberId, offsets);
        var sorted = offsets.Sort();
        _window.BeginDeadLetter(sorted.AsSpan());
        await DeadLetterAsync(sorted.AsMemory(), reason);
    }

    public async ValueTask<QueuePartitionDescription> DescribeAsync()
    {
        var info = await _partition.GetInfoAsync();
        ObserveLog(info.LogStartOffset, info.HighWatermark);
        _window.Expire(Now);
        return new QueuePartitionDescription(
            _id.TopicPartition.Partition,
            _window.Start,
            _highWatermark,
            _window.InFlight,
            _window.CountWaiting(_highWatermark),
            _acknowledged,
            _deadLettered);
    }

    /// <summary>Reads the partition from <paramref name="from"/> and leases what is available there; null when nothing was.</summary>
    private async Task<QueueLease?> LeaseFromAsync(long from, string memberId, int maxRecords, TimeSpan leaseDuration)
    {
        var fetched = await _partition.FetchAsync(from, _options.MaxAcquireBytes, TimeSpan.Zero);
        ObserveLog(fetched.LogStartOffset, fetched.HighWatermark);
        if (fetched.Status != FetchStatus.Ok || fetched.Batches.IsEmpty)
        {
            return null;
        }

        // The fetch yielded the turn: leases may have expired meanwhile, and other calls may have leased records.
        var now = Now;
        _window.Expire(now);
        _leased.Clear();
        _deliveryCounts.Clear();
        _exhausted.Clear();
        _window.Lease(
            from,
            RecordBatch.ReadNextOffset(fetched.Batches.Span),
            maxRecords,
            memberId,
            now + Ticks(leaseDuration),
            _options.MaxDeliveryAttempts,
            _leased,
            _deliveryCounts,
            _exhausted);
        var lease = _leased.Count == 0
            ? null
            : new QueueLease(Cut(fetched.Batches.Span, _leased[0], _leased[^1]), [.. _leased], [.. _deliveryCounts]);
        var exhausted = _exhausted.Count == 0 ? null : _exhausted.ToArray();
        if (lease is not null)
        {
            // Delivery counts are durable without making the acquire wait: they ride on this write or the next.
            PersistInBackground();
        }

        if (exhausted is not null)
        {
            await DeadLetterExhaustedAsync(fetched.Batches, exhausted);
        }

        return lease;
    }

    private async Task DeadLetterExhaustedAsync(ReadOnlyMemory<byte> batches, long[] offsets)
    {
        var reason = $"delivered {_options.MaxDeliveryAttempts} times (max delivery attempts)";
        try
        {
            await WriteDeadLettersAsync(batches, offsets, reason);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The records stay in the queue and are dead-lettered by a later acquire; the caller's lease stands.
            LogDeadLetterFailed(logger, exception, _id, offsets.Length);
            _window.AbortDeadLetter(offsets);
            Signal();
            return;
        }

        _deadLettered += _window.Complete(offsets);
        Signal();
        await PersistAsync();
    }

    /// <summary>
    /// The leased records' batches, each cut to the leased range: a member leasing a few hundred records of a producer
    /// batch of thousands is sent those, not the whole batch (records between them leased to others stay in).
    /// </summary>
    private ReadOnlyMemory<byte> Cut(ReadOnlySpan<byte> batches, long first, long last)
    {
        var output = new byte[batches.Length];
        var written = 0;
        var position = 0;
        while (position + RecordBatch.HeaderSize <= batches.Length)
        {
            var size = RecordBatch.ReadTotalSize(batches[position..]);
            if (size > batches.Length - position)
            {
                break;
            }

            var batch = batches.Slice(position, size);
            if (RecordBatchSlicer.TrySlice(batch, first, last, output.AsSpan(written), out var cut) != BatchStatus.Valid)
            {
                throw new CorruptRecordException($"The batch of {_id.TopicPartition} at offset {RecordBatch.ReadBaseOffset(batch)} does not parse.");
            }

            written += cut;
            position += size;
            if (RecordBatch.ReadNextOffset(batch) > last)
            {
                break;
            }
        }

        return output.AsMemory(0, written);
    }

    private async Task WaitForChangeAsync(long now, long waitUntil)
    {
        if (_highWatermark < _window.End)
        {
            _tailPoll ??= PollTailAsync();
        }

        var until = Math.Min(waitUntil, _window.NextDeadline);
        using var cancel = new CancellationTokenSource();
        var timer = Task.Delay(TimeSpan.FromTicks(Math.Max(0, until - now)), timeProvider, cancel.Token);
        await Task.WhenAny(_changed.Task, timer);
        await cancel.CancelAsync();
    }

    /// <summary>Waits on the partition for records past the high watermark, so waiting acquires learn of them at once.</summary>
    private async Task PollTailAsync()
    {
        try
        {
            var fetched = await _partition.FetchAsync(_highWatermark, 1, _maxWait);
            ObserveLog(fetched.LogStartOffset, fetched.HighWatermark);
            Signal();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Waiting acquires end at their deadline; the next one polls again.
            LogTailPollFailed(logger, exception, _id);
        }
        finally
        {
            _tailPoll = null;
        }
    }

    private void ObserveLog(long logStartOffset, long highWatermark)
    {
        _highWatermark = Math.Max(_highWatermark, highWatermark);
        if (logStartOffset > _window.Start)
        {
            // Retention deleted records the group had not finished: they cannot be delivered any more.
            LogRecordsExpired(logger, _id, _window.Start, logStartOffset);
            _window.SkipTo(logStartOffset);
            PersistInBackground();
        }
    }

    private void RequireLeased(string memberId, ImmutableArray<long> offsets)
    {
        ValidateMember(memberId);
        if (offsets.IsDefaultOrEmpty)
        {
            throw new InvalidRequestException("No offsets given.");
        }

        _window.Expire(Now);
        if (_window.FirstNotLeasedTo(memberId, offsets.AsSpan()) is { } offset)
        {
            throw new InvalidRecordStateException(
                $"The record at offset {offset} of {_id.TopicPartition} is not leased to member '{memberId}' of queue group '{_id.Group}' "
                + "(its lease expired, it was never acquired, or it is done); nothing changed.");
        }
    }

    private static void ValidateMember(string memberId)
    {
        if (string.IsNullOrWhiteSpace(memberId))
        {
            throw new InvalidRequestException("A member id is required.");
        }
    }

    /// <summary>Wakes every waiting acquire: records may be available.</summary>
    private void Signal()
    {
        var changed = _changed;
        _changed = NewSignal();
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private long Now => timeProvider.GetUtcNow().UtcTicks;

    private static long Ticks(TimeSpan span) => span.Ticks;
}
