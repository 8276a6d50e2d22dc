namespace OrleansBroker.Client.Producing;

/// <summary>
/// The sender: one loop that sends each partition's next batch once it is full or has lingered, keeping at
/// most one batch per partition in flight so that a partition's batches are written in order.
/// </summary>
public sealed partial class Producer
{
    private async Task SendLoopAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            var now = _timeProvider.GetTimestamp();
            if (_refreshing.IsCompleted && _timeProvider.GetElapsedTime(_lastMetadataCheck, now) >= _options.MetadataMaxAge)
            {
                _lastMetadataCheck = now;
                _refreshing = RefreshRoutesAsync();
            }

            var nextDue = long.MaxValue;
            foreach (var queue in Volatile.Read(ref _queues))
            {
                ProducerBatch? batch;
                long dueAt;
                lock (queue.Lock)
                {
                    batch = queue.TakeSendable(now, _lingerTicks, out dueAt);
                }

                if (batch is not null)
                {
                    _ = SendAsync(queue, batch);
                }
                else if (dueAt < nextDue)
                {
                    nextDue = dueAt;
                }
            }

            // The wait for a lingering batch is the time provider's timer, not the semaphore's timeout: that one runs on
            // .NET's timers, which fire on the kernel tick (see PreciseTimeProvider). It is set again on every pass, so a
            // timer that fired a tick early, or after the loop woke for another reason, costs only one more pass.
            if (nextDue != long.MaxValue)
            {
                _lingerTimer.Change(_timeProvider.GetElapsedTime(now, Math.Max(nextDue, now)), Timeout.InfiniteTimeSpan);
            }

            try
            {
                await _wake.WaitAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendAsync(PartitionQueue queue, ProducerBatch batch)
    {
        var started = _timeProvider.GetTimestamp();
        var reusable = false;
        while (true)
        {
            try
            {
                var baseOffset = await queue.Grain.AppendAsync(batch.Bytes);
                batch.Completion.SetResult(baseOffset);
                reusable = true;
                break;
            }
            catch (Exception exception) when (RetriableErrors.IsRetriable(exception)
                && _timeProvider.GetElapsedTime(started) + _options.RetryBackoff < _options.DeliveryTimeout
                && !_stopping.IsCancellationRequested)
            {
                await Task.Delay(_options.RetryBackoff, _timeProvider);
            }
            catch (Exception exception)
            {
                lock (queue.Lock)
                {
                    queue.ResetProducer();
                }

                batch.Completion.SetException(exception);
                break;
            }
        }

        // Only a batch whose request was answered is known to be serialized already, so only its buffer is reused.
        if (reusable)
        {
            batch.Builder.Reset();
            _builders.Add(batch.Builder);
        }

        lock (queue.Lock)
        {
            queue.InFlight = false;
        }

        Release(batch.ReservedBytes);
        _wake.Release();
    }
}
