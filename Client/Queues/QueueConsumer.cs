using System.Runtime.CompilerServices;
using System.Threading.Channels;
using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Queues;

/// <summary>
/// A member of a queue group on one topic: it competes with the group's other members for the topic's records,
/// one by one, across all partitions. Each record it hands out is leased to it until acknowledged, released or
/// rejected, or until the lease expires (then another member gets it). Keeps one acquire in flight per partition
/// ahead of the records being handed out, and sends acknowledgements in batches per partition.
/// Not thread-safe: one consumer is read by one loop at a time (records may be settled from any thread).
/// </summary>
public sealed class QueueConsumer : IAsyncDisposable
{
    private readonly IGrainFactory _grainFactory;
    private readonly TopicMetadataCache _metadata;
    private readonly TimeProvider _timeProvider;
    private readonly ITimer _ackTimer;
    private QueuePartition[] _partitions = [];
    private bool _disposed;

    internal QueueConsumer(IGrainFactory grainFactory, TopicMetadataCache metadata, string group, string topic, QueueConsumerOptions options, TimeProvider timeProvider)
    {
        QueuePartitionId.ValidateGroup(group);
        TopicName.Validate(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRecordsPerAcquire, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.AckBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LeaseDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AckInterval, TimeSpan.Zero);
        _grainFactory = grainFactory;
        _metadata = metadata;
        _timeProvider = timeProvider;
        Group = group;
        Topic = topic;
        Options = options;
        MemberId = options.MemberId ?? Guid.NewGuid().ToString("N");
        _ackTimer = timeProvider.CreateTimer(_ => SendDueAcks(), null, options.AckInterval, options.AckInterval);
    }

    /// <summary>The queue group.</summary>
    public string Group { get; }

    /// <summary>The topic.</summary>
    public string Topic { get; }

    /// <summary>This member's id in the group.</summary>
    public string MemberId { get; }

    /// <summary>The options the consumer was created with.</summary>
    public QueueConsumerOptions Options { get; }

    /// <summary>
    /// The records leased to this member, as they arrive. The stream ends only when <paramref name="cancellationToken"/>
    /// is cancelled; records acquired but not handed out by then stay held, and are released on dispose.
    /// </summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    /// <exception cref="CorruptRecordException">An acquired batch failed its checks.</exception>
    public async IAsyncEnumerable<QueueRecord> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_partitions.Length == 0)
        {
            var metadata = await _metadata.GetAsync(Topic).WaitAsync(cancellationToken);
            _partitions = [.. Enumerable.Range(0, metadata.Config.Partitions).Select(p =>
            {
                var topicPartition = new TopicPartition(Topic, p);
                var grain = _grainFactory.GetGrain<IQueueGrain>(new QueuePartitionId(Group, topicPartition).ToString());
                return new QueuePartition(topicPartition, grain, MemberId, Options, _timeProvider);
            })];
        }

        // Answered acquires queue here, each partition once per acquire, so taking the next answer costs the same with a
        // thousand partitions as with one.
        var answered = Channel.CreateUnbounded<QueuePartition>(new UnboundedChannelOptions { SingleReader = true });
        foreach (var partition in _partitions)
        {
            partition.Pending ??= partition.AcquireAsync();
            _ = QueueWhenAnsweredAsync(partition, answered.Writer);
        }

        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var completed = await answered.Reader.ReadAsync(cancellationToken);

                // An acquire that failed for good ends the stream with its exception.
                await completed.Pending!;
                var lease = completed.TakeLease(acquireNext: !_disposed);
                if (completed.Pending is not null)
                {
                    _ = QueueWhenAnsweredAsync(completed, answered.Writer);
                }

                var offsets = lease.Offsets;
                var next = 0;
                var reader = new RecordBatchReader(lease.Batches);
                while (next < offsets.Length && reader.TryReadNext(out var record))
                {
                    if (record.Offset == offsets[next])
                    {
                        yield return new QueueRecord(completed, record, lease.DeliveryCounts[next]);
                        next++;
                    }
                }

                if (reader.Status != BatchStatus.Valid)
                {
                    throw new CorruptRecordException(
                        $"A batch acquired from {completed.TopicPartition} at offset {reader.NextOffset} is corrupt: {reader.Status}.");
                }
            }
        }
        finally
        {
            // Acquires still in flight finish before the stream ends, so no lease is taken behind the caller's back:
            // their records are held, and released on dispose.
            foreach (var partition in _partitions)
            {
                if (partition.Pending is { } pending)
                {
                    await pending;
                    partition.TakeLease(acquireNext: false);
                }
            }
        }
    }

    /// <summary>
    /// Sends every acknowledgement made so far and waits until the broker has made them durable.
    /// </summary>
    /// <exception cref="InvalidRecordStateException">The broker refused an acknowledgement made since the last commit: the
    /// record's lease had expired (it may be delivered again). The other acknowledgements were applied.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        await Task.WhenAll(_partitions.Select(p => p.FlushAcksAsync())).WaitAsync(cancellationToken);
        foreach (var partition in _partitions)
        {
            if (partition.TakeError() is { } error)
            {
                throw error;
            }
        }
    }

    /// <summary>Sends the waiting acknowledgements and gives every record still held back to the group.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _ackTimer.DisposeAsync();
        await Task.WhenAll(_partitions.Select(p => p.FlushAcksAsync()));
        await Task.WhenAll(_partitions.Select(p => p.ReleaseHeldAsync()));
    }

    private static async Task QueueWhenAnsweredAsync(QueuePartition partition, ChannelWriter<QueuePartition> answered)
    {
        await ((Task)partition.Pending!).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        answered.TryWrite(partition);
    }

    private void SendDueAcks()
    {
        foreach (var partition in Volatile.Read(ref _partitions))
        {
            partition.SendDueAcks();
        }
    }
}
