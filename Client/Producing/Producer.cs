using System.Collections.Concurrent;
using System.Text;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Producing;

/// <summary>
/// Produces records to topics. Records are grouped per partition into Kafka RecordBatch v2 batches
/// (linger time and batch size, like Kafka's linger.ms and batch.size), encoded once, and appended by one
/// call to the partition grain. A record's task completes when its batch is durable on the broker.
/// Thread-safe. Records produced one after another from one thread to one partition keep their order.
/// </summary>
public sealed partial class Producer : IAsyncDisposable
{
    private readonly IGrainFactory _grainFactory;
    private readonly TopicMetadataCache _metadata;
    private readonly ProducerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly long _lingerTicks;
    private readonly StickyPartitioner _sticky = new();
    private readonly ConcurrentDictionary<string, TopicRoute> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<RecordBatchBuilder> _builders = [];
    private readonly Func<RecordBatchBuilder> _rentBuilder;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ITimer _lingerTimer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sender;
    private PartitionQueue[] _queues = [];
    private long _bufferedBytes;
    private long _lastMetadataCheck;
    private Task _refreshing = Task.CompletedTask;
    private int _disposed;

    internal Producer(IGrainFactory grainFactory, TopicMetadataCache metadata, ProducerOptions options, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchBytes, RecordBatch.HeaderSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferBytes, options.BatchBytes);
        _grainFactory = grainFactory;
        _metadata = metadata;
        _options = options;
        _timeProvider = timeProvider;
        _lingerTicks = (long)(options.Linger.TotalSeconds * timeProvider.TimestampFrequency);
        _rentBuilder = () => _builders.TryTake(out var builder) ? builder : new RecordBatchBuilder();
        _lastMetadataCheck = timeProvider.GetTimestamp();
        _lingerTimer = timeProvider.CreateTimer(static wake => ((SemaphoreSlim)wake!).Release(), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>
    /// Bytes of records produced but not yet acknowledged: those in batches and those still waiting for room or for
    /// their topic's metadata. A caller that keeps this below <see cref="ProducerOptions.BufferBytes"/> keeps its
    /// records on the fast path, where they are copied straight into a batch.
    /// </summary>
    public long BufferedBytes => Volatile.Read(ref _bufferedBytes) + Volatile.Read(ref _pendingBytes);

    /// <summary>
    /// Produces a record to a topic: to the partition its key hashes to (Kafka's murmur2 partitioner), or,
    /// without a key, to the partition currently filling a batch (sticky partitioner).
    /// The record's memory may be reused as soon as this method returns.
    /// </summary>
    /// <returns>The record's partition and offset, once durable.</returns>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    /// <exception cref="RecordTooLargeException">The record cannot fit in a batch the topic accepts.</exception>
    /// <exception cref="ProducerBufferFullException">The buffer is full and <see cref="ProducerOptions.WhenBufferFull"/> is Throw.</exception>
    public ValueTask<ProduceResult> ProduceAsync(
        string topic, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlyMemory<RecordHeader> headers = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return ProduceCoreAsync(topic, -1, key, value, headers);
    }

    /// <summary>Produces a record to one partition chosen by the caller.</summary>
    /// <inheritdoc cref="ProduceAsync(string, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}?, ReadOnlyMemory{RecordHeader})"/>
    public ValueTask<ProduceResult> ProduceAsync(
        TopicPartition topicPartition, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlyMemory<RecordHeader> headers = default) =>
        ProduceCoreAsync(topicPartition.Topic, topicPartition.Partition, key, value, headers);

    /// <summary>Produces a record with a UTF-8 key (or none) and a UTF-8 value.</summary>
    /// <inheritdoc cref="ProduceAsync(string, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}?, ReadOnlyMemory{RecordHeader})"/>
    public ValueTask<ProduceResult> ProduceAsync(string topic, string? key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return ProduceAsync(topic, key is null ? default(ReadOnlyMemory<byte>?) : Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Sends every record produced so far without lingering, and waits until each is acknowledged or failed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await WaitForPendingAsync(cancellationToken);
        var batches = new List<Task>();
        foreach (var queue in Volatile.Read(ref _queues))
        {
            ProducerBatch? last;
            lock (queue.Lock)
            {
                last = queue.SealForFlush();
            }

            if (last is not null)
            {
                batches.Add(last.Completion.ForRecordAsync(0).AsTask());
            }
        }

        _wake.Release();

        // Flush reports nothing itself: each record's own task carries its error.
        await Task.WhenAll(batches).WaitAsync(cancellationToken)
            .ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Flushes, then stops the producer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await FlushAsync();
        await _stopping.CancelAsync();
        await _sender.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
        await _lingerTimer.DisposeAsync();
        _stopping.Dispose();
        _wake.Dispose();
        while (_builders.TryTake(out var builder))
        {
            builder.Dispose();
        }
    }

    private ValueTask<ProduceResult> ProduceCoreAsync(
        string topic, int partition, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, ReadOnlyMemory<RecordHeader> headers)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var record = ProducerRecord.Create(_timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), key, value, headers);
        if (Volatile.Read(ref _pendingCount) == 0 && _routes.TryGetValue(topic, out var route) && partition < route.Queues.Length)
        {
            if (TryReserve(record.Size))
            {
                return AppendRecordAsync(route, partition, record);
            }

            if (_options.WhenBufferFull == BufferFullMode.Throw)
            {
                throw new ProducerBufferFullException();
            }
        }

        return EnqueuePendingAsync(topic, partition, record.Detach());
    }

    private ValueTask<ProduceResult> AppendRecordAsync(TopicRoute route, int partition, in ProducerRecord record)
    {
        PartitionQueue queue;
        try
        {
            queue = route.Choose(partition, record.Key, _sticky);
            if (record.Size + RecordBatch.HeaderSize > route.MaxBatchBytes)
            {
                throw new RecordTooLargeException(
                    $"A record of {record.Size} bytes cannot fit in a batch of at most {route.MaxBatchBytes} bytes for topic '{route.Name}'.");
            }
        }
        catch
        {
            Release(record.Size);
            throw;
        }

        BatchCompletion completion;
        int index;
        bool wake;
        var sticky = partition < 0 && record.Key is null;
        while (true)
        {
            lock (queue.Lock)
            {
                // A keyless record that would start a new batch moves the sticky partition on first (Kafka's KIP-480):
                // whether the last batch filled up or lingered out, the next one goes to another partition, so even
                // a slow producer spreads its batches and keeps several partitions' appends in flight at once.
                if (queue.TryAppend(record, mayOpenBatch: !sticky, _timeProvider, _rentBuilder, out completion, out index, out wake))
                {
                    break;
                }
            }

            route.StickyBatchCompleted(_sticky, queue.TopicPartition.Partition);
            queue = route.Choose(partition, record.Key, _sticky);
            sticky = false;
        }

        if (wake)
        {
            _wake.Release();
        }

        return completion.ForRecordAsync(index);
    }

    private bool TryReserve(int size)
    {
        var total = Interlocked.Add(ref _bufferedBytes, size);

        // A record larger than the whole buffer still passes when the buffer is empty, so it can fail or succeed on its own.
        if (total <= _options.BufferBytes || total == size)
        {
            return true;
        }

        Interlocked.Add(ref _bufferedBytes, -size);
        return false;
    }

    private void Release(long size)
    {
        Interlocked.Add(ref _bufferedBytes, -size);
        if (Volatile.Read(ref _pendingCount) > 0)
        {
            DrainPending();
        }
    }

    /// <summary>
    /// Routes a topic by new metadata: the first time, or when partitions were added (existing partitions keep
    /// their queues, so batches in flight are unaffected).
    /// </summary>
    private void UpdateRoute(TopicMetadata metadata)
    {
        lock (_routes)
        {
            var known = _routes.GetValueOrDefault(metadata.Name);
            if (known is not null && known.Queues.Length >= metadata.Config.Partitions)
            {
                return;
            }

            var route = new TopicRoute(
                metadata, Math.Min(_options.BatchBytes, metadata.Config.MaxMessageBytes), _grainFactory, _timeProvider.GetTimestamp(), known?.Queues ?? []);
            _queues = [.. _queues, .. route.Queues.Skip(known?.Queues.Length ?? 0)];
            _routes[metadata.Name] = route;
        }
    }

    /// <summary>Looks for added partitions once the routes are older than <see cref="ProducerOptions.MetadataMaxAge"/>.</summary>
    private async Task RefreshRoutesAsync()
    {
        foreach (var route in _routes.Values)
        {
            if (_timeProvider.GetElapsedTime(route.CreatedTimestamp) < _options.MetadataMaxAge)
            {
                continue;
            }

            try
            {
                _metadata.Invalidate(route.Name);
                UpdateRoute(await _metadata.GetAsync(route.Name));
            }
            catch (Exception exception) when (exception is BrokerException || RetriableErrors.IsRetriable(exception))
            {
                // A deleted topic or an unreachable broker shows in the appends themselves; the route stays as it is.
            }

            route.MarkRefreshed(_timeProvider.GetTimestamp());
        }
    }
}
