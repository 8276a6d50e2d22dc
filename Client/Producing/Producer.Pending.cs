
namespace OrleansBroker.Client.Producing;

/// <summary>
/// Records that cannot go into a batch yet — their topic's metadata is still being fetched, or the buffer is
/// full — wait in one FIFO, as copies. While any record waits, later records wait behind it, so records
/// produced one after another keep their order.
/// </summary>
public sealed partial class Producer
{
    private readonly Lock _pendingLock = new();
    private readonly Queue<PendingRecord> _pending = new();
    private readonly HashSet<string> _loadingTopics = new(StringComparer.Ordinal);
    private TaskCompletionSource _drained = CompletedDrain();
    private int _pendingCount;
    private long _pendingBytes;

    private ValueTask<ProduceResult> EnqueuePendingAsync(string topic, int partition, ProducerRecord record)
    {
        var pending = new PendingRecord(topic, partition, record, new TaskCompletionSource<ProduceResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_pendingLock)
        {
            if (_pending.Count == 0)
            {
                _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _pending.Enqueue(pending);
            _pendingCount = _pending.Count;
            _pendingBytes += record.Size;
        }

        DrainPending();
        return new ValueTask<ProduceResult>(pending.Completion.Task);
    }

    private void DrainPending()
    {
        lock (_pendingLock)
        {
            while (_pending.TryPeek(out var pending))
            {
                var known = _routes.TryGetValue(pending.Topic, out var route);

                // A partition beyond the ones known may have been added since: look once more before failing the record.
                if (!known || (pending.Partition >= route!.Queues.Length && !pending.RouteRefreshed))
                {
                    if (known)
                    {
                        pending.RouteRefreshed = true;
                    }

                    if (_loadingTopics.Add(pending.Topic))
                    {
                        _ = LoadRouteAsync(pending.Topic, refresh: known);
                    }

                    break;
                }

                if (!TryReserve(pending.Record.Size))
                {
                    break;
                }

                _pending.Dequeue();
                _pendingBytes -= pending.Record.Size;
                try
                {
                    _ = ForwardAsync(AppendRecordAsync(route, pending.Partition, pending.Record), pending.Completion);
                }
                catch (Exception exception)
                {
                    pending.Completion.TrySetException(exception);
                }
            }

            Volatile.Write(ref _pendingCount, _pending.Count);
            if (_pending.Count == 0)
            {
                _drained.TrySetResult();
            }
        }
    }

    private async Task LoadRouteAsync(string topic, bool refresh)
    {
        try
        {
            if (refresh)
            {
                _metadata.Invalidate(topic);
            }

            UpdateRoute(await _metadata.GetAsync(topic));
        }
        catch (Exception exception)
        {
            FailPending(topic, exception);
        }
        finally
        {
            lock (_pendingLock)
            {
                _loadingTopics.Remove(topic);
            }
        }

        DrainPending();
    }

    private void FailPending(string topic, Exception exception)
    {
        lock (_pendingLock)
        {
            var count = _pending.Count;
            for (var i = 0; i < count; i++)
            {
                var pending = _pending.Dequeue();
                if (pending.Topic == topic)
                {
                    _pendingBytes -= pending.Record.Size;
                    pending.Completion.TrySetException(exception);
                }
                else
                {
                    _pending.Enqueue(pending);
                }
            }

            _pendingCount = _pending.Count;
            if (_pending.Count == 0)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>Waits until every waiting record has moved into a batch (not until it is acknowledged).</summary>
    private Task WaitForPendingAsync(CancellationToken cancellationToken)
    {
        lock (_pendingLock)
        {
            return _drained.Task.WaitAsync(cancellationToken);
        }
    }

    private static TaskCompletionSource CompletedDrain()
    {
        var drained = new TaskCompletionSource();
        drained.SetResult();
        return drained;
    }

    private static async Task ForwardAsync(ValueTask<ProduceResult> result, TaskCompletionSource<ProduceResult> completion)
    {
        try
        {
            completion.TrySetResult(await result);
        }
        catch (Exception exception)
        {
            completion.TrySetException(exception);
        }
    }

    private sealed record PendingRecord(string Topic, int Partition, ProducerRecord Record, TaskCompletionSource<ProduceResult> Completion)
    {
        /// <summary>Whether the topic's metadata was fetched again for this record's partition.</summary>
        public bool RouteRefreshed { get; set; }
    }
}
