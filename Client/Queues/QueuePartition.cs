using System.Collections.Immutable;
using System.Runtime.InteropServices;
using OrleansBroker.Grains;

namespace OrleansBroker.Client.Queues;

/// <summary>
/// One partition of a <see cref="QueueConsumer"/>: the acquire in flight, the records held (leased and not yet
/// settled) and the acknowledgements waiting to be sent. At most one acknowledgement call is in flight; the
/// acknowledgements queued meanwhile go together in the next one.
/// </summary>
internal sealed class QueuePartition(TopicPartition topicPartition, IQueueGrain grain, string memberId, QueueConsumerOptions options, TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private readonly HashSet<long> _held = [];
    private readonly List<long> _acks = [];
    private TaskCompletionSource? _sending;
    private QueueLease? _lease;
    private Exception? _error;

    public TopicPartition TopicPartition => topicPartition;

    /// <summary>The acquire in flight, if any.</summary>
    public Task<QueuePartition>? Pending { get; set; }

    public async Task<QueuePartition> AcquireAsync()
    {
        QueueLease lease;
        try
        {
            lease = await grain.AcquireAsync(memberId, options.MaxRecordsPerAcquire, options.LeaseDuration, options.MaxWait);
        }
        catch (Exception exception) when (RetriableErrors.IsRetriable(exception))
        {
            await Task.Delay(options.RetryBackoff, timeProvider);
            lease = QueueLease.Empty;
        }

        lock (_lock)
        {
            _held.UnionWith(lease.Offsets);
        }

        _lease = lease;
        return this;
    }

    /// <summary>Takes the completed acquire's lease and sends the next acquire, so acquiring overlaps processing.</summary>
    public QueueLease TakeLease(bool acquireNext)
    {
        var lease = _lease ?? QueueLease.Empty;
        _lease = null;
        Pending = acquireNext ? AcquireAsync() : null;
        return lease;
    }

    public ValueTask AcknowledgeAsync(long offset)
    {
        long[]? batch = null;
        lock (_lock)
        {
            _held.Remove(offset);
            _acks.Add(offset);
            if (_acks.Count >= options.AckBatchSize && _sending is null)
            {
                batch = TakeAcks();
            }
        }

        if (batch is not null)
        {
            _ = SendAcksAsync(batch);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Sends the waiting acknowledgements unless a call is in flight (the interval timer calls this).</summary>
    public void SendDueAcks()
    {
        long[]? batch = null;
        lock (_lock)
        {
            if (_acks.Count > 0 && _sending is null)
            {
                batch = TakeAcks();
            }
        }

        if (batch is not null)
        {
            _ = SendAcksAsync(batch);
        }
    }

    /// <summary>Returns once every acknowledgement queued before the call has been sent and answered.</summary>
    public async Task FlushAcksAsync()
    {
        while (true)
        {
            long[]? batch = null;
            Task? inFlight = null;
            lock (_lock)
            {
                if (_sending is { } sending)
                {
                    inFlight = sending.Task;
                }
                else if (_acks.Count > 0)
                {
                    batch = TakeAcks();
                }
            }

            if (batch is not null)
            {
                await SendAcksAsync(batch);
            }
            else if (inFlight is not null)
            {
                await inFlight;
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>The first failure of a sent acknowledgement since the last call, if any.</summary>
    public Exception? TakeError()
    {
        lock (_lock)
        {
            var error = _error;
            _error = null;
            return error;
        }
    }

    public async ValueTask ReleaseAsync(long offset, TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        await grain.ReleaseAsync(memberId, [offset], delay);
        Forget(offset);
    }

    public async ValueTask RejectAsync(long offset, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        await grain.RejectAsync(memberId, [offset], reason);
        Forget(offset);
    }

    /// <summary>Releases every record still held, for other members; records whose lease already ended are skipped.</summary>
    public async Task ReleaseHeldAsync()
    {
        long[] held;
        lock (_lock)
        {
            held = [.. _held];
            _held.Clear();
        }

        if (held.Length == 0)
        {
            return;
        }

        try
        {
            await grain.ReleaseAsync(memberId, ImmutableCollectionsMarshal.AsImmutableArray(held), TimeSpan.Zero);
        }
        catch (InvalidRecordStateException)
        {
            // One lease ended, so the broker refused the batch: release the rest one by one.
            foreach (var offset in held)
            {
                try
                {
                    await grain.ReleaseAsync(memberId, [offset], TimeSpan.Zero);
                }
                catch (InvalidRecordStateException)
                {
                    // Its lease expired: the record is available to others already.
                }
            }
        }
    }

    private void Forget(long offset)
    {
        lock (_lock)
        {
            _held.Remove(offset);
        }
    }

    private long[] TakeAcks()
    {
        var batch = _acks.ToArray();
        _acks.Clear();
        _sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return batch;
    }

    private async Task SendAcksAsync(long[] batch)
    {
        try
        {
            await AcknowledgeWithRetryAsync(ImmutableCollectionsMarshal.AsImmutableArray(batch));
        }
        catch (InvalidRecordStateException) when (batch.Length > 1)
        {
            // The broker refuses a whole batch for one record it no longer leases to us: send them one by one,
            // so the others are still acknowledged and only the refused ones are reported.
            foreach (var offset in batch)
            {
                try
                {
                    await AcknowledgeWithRetryAsync([offset]);
                }
                catch (Exception exception) when (exception is BrokerException or TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
                {
                    RecordError(exception);
                }
            }
        }
        catch (Exception exception) when (exception is BrokerException or TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
        {
            RecordError(exception);
        }
        finally
        {
            TaskCompletionSource? sent;
            long[]? next = null;
            lock (_lock)
            {
                sent = _sending;
                _sending = null;
                if (_acks.Count >= options.AckBatchSize)
                {
                    next = TakeAcks();
                }
            }

            sent?.TrySetResult();
            if (next is not null)
            {
                _ = SendAcksAsync(next);
            }
        }
    }

    private async Task AcknowledgeWithRetryAsync(ImmutableArray<long> offsets)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grain.AcknowledgeAsync(memberId, offsets);
                return;
            }
            catch (Exception exception) when (attempt < 5 && RetriableErrors.IsRetriable(exception))
            {
                await Task.Delay(options.RetryBackoff, timeProvider);
            }
        }
    }

    private void RecordError(Exception exception)
    {
        lock (_lock)
        {
            _error ??= exception;
        }
    }
}
