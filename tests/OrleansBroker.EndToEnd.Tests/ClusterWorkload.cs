using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>
/// Load on one topic while silos come and go, and the checks afterwards. Idempotent producers send keyed records at a
/// steady pace and keep where each acknowledgement said the record landed; the members of one consumer group keep a
/// journal of the partitions they are given, give back or lose, and of every record handed to them. The checks read
/// the whole log back and hold the acknowledgements and the journal against it.
/// </summary>
internal sealed class ClusterWorkload : IAsyncDisposable
{
    // Each producer sends a window of records per tick and waits for all of them: a few thousand records a second in
    // all, which Azurite keeps up with, and no more than a window per producer waits while a partition is unavailable.
    private const int RecordsPerTick = 50;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(25);

    // Generous: a partition moving between silos stalls producers and consumers for seconds on a loaded machine.
    private static readonly TimeSpan ProgressTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly BrokerClient _broker;
    private readonly string _topic = "load-" + Guid.NewGuid().ToString("N");
    private readonly string _group = "readers-" + Guid.NewGuid().ToString("N");
    private readonly int _partitions;
    private readonly int _probeProducer;
    private readonly CancellationTokenSource _stopProducing = new();
    private readonly CancellationTokenSource _stopConsuming = new();
    private readonly List<Task> _producers = [];
    private readonly List<(Consumer Consumer, Task Loop)> _consumers = [];
    private readonly ConcurrentQueue<(RecordId Id, ProduceResult Result)> _acknowledged = new();
    private readonly ConcurrentQueue<Exception> _producerFailures = new();
    private readonly ConcurrentQueue<GroupEvent> _journal = new();
    private readonly Producer _probe;
    private TaskCompletionSource _progress = NewSignal();
    private long _acknowledgedCount;
    private long _probeSequence;
    private long _longestWindowTicks;

    private ClusterWorkload(BrokerClient broker, int partitions, int producers)
    {
        _broker = broker;
        _partitions = partitions;
        _probeProducer = producers;
        _probe = broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.Zero });
    }

    /// <summary>The grain keys of the topic's partitions.</summary>
    public IEnumerable<string> PartitionKeys => Partitions.Select(p => p.ToString());

    /// <summary>How many records were acknowledged so far.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledgedCount);

    private IEnumerable<TopicPartition> Partitions => Enumerable.Range(0, _partitions).Select(p => new TopicPartition(_topic, p));

    /// <summary>
    /// Creates the topic, subscribes the group's members and waits until the group has committed an offset for every
    /// partition, then starts the producers. Consumers start where nothing was committed at the high watermark
    /// (<see cref="AutoOffsetReset.Latest"/>): a committed offset lost on the way would then skip records, which the checks see.
    /// </summary>
    public static async Task<ClusterWorkload> StartAsync(BrokerClient broker, int partitions, int producers, int consumers, CancellationToken cancellationToken)
    {
        var workload = new ClusterWorkload(broker, partitions, producers);
        try
        {
            await broker.Admin.CreateTopicAsync(workload._topic, new TopicConfig { Partitions = partitions });
            for (var i = 0; i < consumers; i++)
            {
                await workload.SubscribeAsync(i, cancellationToken);
            }

            await workload.WaitForCommittedAsync(_ => 0, cancellationToken);
            for (var i = 0; i < producers; i++)
            {
                workload._producers.Add(workload.ProduceAsync(i, workload._stopProducing.Token));
            }
        }
        catch
        {
            await workload.DisposeAsync();
            throw;
        }

        return workload;
    }

    /// <summary>Waits until at least <paramref name="count"/> records were acknowledged; throws if a producer failed.</summary>
    public async Task WaitForAcknowledgedAsync(long count, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ProgressTimeout);
        while (true)
        {
            var progress = Volatile.Read(ref _progress).Task;
            ThrowIfProducerFailed();
            if (Acknowledged >= count)
            {
                return;
            }

            try
            {
                await progress.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Acknowledged} records were acknowledged after {ProgressTimeout}, not {count}.");
            }
        }
    }

    /// <summary>
    /// Produces one record to every partition at once; returns, per partition, how long after <paramref name="since"/>
    /// (a <see cref="Stopwatch"/> timestamp) its acknowledgement came.
    /// </summary>
    public async Task<TimeSpan[]> ProbeEveryPartitionAsync(long since, CancellationToken cancellationToken)
    {
        return await Task.WhenAll(Partitions.Select(ProbeAsync));

        async Task<TimeSpan> ProbeAsync(TopicPartition partition)
        {
            var id = new RecordId(_probeProducer, Interlocked.Increment(ref _probeSequence) - 1);
            var result = await _probe.ProduceAsync(partition, id.Key, id.Value).AsTask().WaitAsync(cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(since);
            _acknowledged.Enqueue((id, result));
            return elapsed;
        }
    }

    /// <summary>Stops the producers after the windows they have in flight are acknowledged; throws if one failed.</summary>
    public async Task StopProducersAsync()
    {
        await _stopProducing.CancelAsync();
        await Task.WhenAll(_producers);
        ThrowIfProducerFailed();
    }

    /// <summary>Waits until the group has committed every partition up to its high watermark, then stops the consumers.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var highWatermarks = new Dictionary<TopicPartition, long>();
        foreach (var partition in Partitions)
        {
            highWatermarks[partition] = await _broker.Admin.ListOffsetsAsync(partition, OffsetSpec.Latest) ?? 0;
        }

        await WaitForCommittedAsync(p => highWatermarks[p], cancellationToken);
        await StopConsumersAsync();
    }

    /// <summary>
    /// Reads the log back and checks it: every acknowledged record is in its partition, once, at the offset its
    /// acknowledgement gave; the log holds nothing else; a producer's records keep their order in every partition; and
    /// the group's members were handed every record, in order from where each got its partition.
    /// </summary>
    public async Task<WorkloadReport> VerifyAsync(CancellationToken cancellationToken)
    {
        var log = await ReadLogAsync(cancellationToken);

        var seen = new HashSet<RecordId>();
        foreach (var (partition, records) in log)
        {
            var lastSequence = new Dictionary<int, long>();
            for (var offset = 0; offset < records.Count; offset++)
            {
                var id = records[offset];
                Assert.True(seen.Add(id), $"Record {id} was written twice (again at {partition}@{offset}).");
                Assert.True(
                    !lastSequence.TryGetValue(id.Producer, out var last) || last < id.Sequence,
                    $"Record {id} at {partition}@{offset} follows record {id.Producer}:{last} of the same producer.");
                lastSequence[id.Producer] = id.Sequence;
            }
        }

        foreach (var (id, result) in _acknowledged)
        {
            var records = log[result.TopicPartition];
            Assert.True(result.Offset < records.Count, $"Record {id} was acknowledged at {result.TopicPartition}@{result.Offset}, past the end of the log ({records.Count}).");
            Assert.True(records[(int)result.Offset] == id, $"Record {id} was acknowledged at {result.TopicPartition}@{result.Offset}, which holds {records[(int)result.Offset]}.");
        }

        Assert.Equal(_acknowledged.Count, seen.Count);
        var (delivered, redelivered, sessions, lost) = ReplayJournal(log);
        return new WorkloadReport(_acknowledged.Count, TimeSpan.FromTicks(Interlocked.Read(ref _longestWindowTicks)), delivered, redelivered, sessions, lost);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopProducing.CancelAsync();
        await Task.WhenAll(_producers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await StopConsumersAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _probe.DisposeAsync();
        _stopProducing.Dispose();
        _stopConsuming.Dispose();
    }

    private static void InterlockedMax(ref long location, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref location)) && Interlocked.CompareExchange(ref location, value, current) != current)
        {
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void SignalProgress() => Interlocked.Exchange(ref _progress, NewSignal()).TrySetResult();

    private void ThrowIfProducerFailed()
    {
        if (_producerFailures.TryPeek(out var failure))
        {
            throw new InvalidOperationException($"A producer failed after {Acknowledged} acknowledged records: {failure.Message}", failure);
        }
    }

    private async Task ProduceAsync(int producer, CancellationToken stop)
    {
        // Off the caller's context: the loop runs for the whole test.
        await Task.Yield();
        await using var sender = _broker.CreateProducer();
        using var pace = new PeriodicTimer(Tick);
        var window = new Task<ProduceResult>[RecordsPerTick];
        var ids = new RecordId[RecordsPerTick];
        var sequence = 0L;
        try
        {
            while (await pace.WaitForNextTickAsync(stop))
            {
                for (var i = 0; i < window.Length; i++)
                {
                    ids[i] = new RecordId(producer, sequence++);
                    window[i] = sender.ProduceAsync(_topic, ids[i].Key, ids[i].Value).AsTask();
                }

                // Never cancelled: a window in flight is seen through, so every record sent is accounted for.
                var sent = Stopwatch.GetTimestamp();
                var results = await Task.WhenAll(window);
                var waited = Stopwatch.GetElapsedTime(sent).Ticks;
                InterlockedMax(ref _longestWindowTicks, waited);
                for (var i = 0; i < results.Length; i++)
                {
                    _acknowledged.Enqueue((ids[i], results[i]));
                }

                Interlocked.Add(ref _acknowledgedCount, results.Length);
                SignalProgress();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception exception)
        {
            _producerFailures.Enqueue(exception);
            SignalProgress();
        }
    }

    private async Task SubscribeAsync(int member, CancellationToken cancellationToken)
    {
        Consumer? consumer = null;
        var options = new ConsumerOptions
        {
            GroupId = _group,
            AutoOffsetReset = AutoOffsetReset.Latest,
            AutoCommitInterval = TimeSpan.FromSeconds(1),
            PartitionsAssigned = partitions => NoteAsync(GroupEventKind.Assigned, member, partitions, p => consumer!.Position(p)),
            PartitionsRevoked = partitions => NoteAsync(GroupEventKind.Revoked, member, partitions, _ => -1),
            PartitionsLost = partitions => NoteAsync(GroupEventKind.Lost, member, partitions, _ => -1),
        };
        consumer = _broker.CreateConsumer(options);
        try
        {
            await consumer.SubscribeAsync([_topic], cancellationToken);
        }
        catch
        {
            await consumer.DisposeAsync();
            throw;
        }

        _consumers.Add((consumer, ConsumeAsync(member, consumer, _stopConsuming.Token)));
    }

    private Task NoteAsync(GroupEventKind kind, int member, IReadOnlyCollection<TopicPartition> partitions, Func<TopicPartition, long> offset)
    {
        foreach (var partition in partitions)
        {
            _journal.Enqueue(new GroupEvent(kind, member, partition, offset(partition), default));
        }

        return Task.CompletedTask;
    }

    private async Task ConsumeAsync(int member, Consumer consumer, CancellationToken stop)
    {
        await Task.Yield();
        try
        {
            await foreach (var record in consumer.ConsumeAsync(stop))
            {
                _journal.Enqueue(new GroupEvent(GroupEventKind.Delivered, member, record.TopicPartition, record.Offset, RecordId.Parse(record.Value!.Value.Span)));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task StopConsumersAsync()
    {
        await _stopConsuming.CancelAsync();
        var loops = _consumers.Select(c => c.Loop).ToList();
        foreach (var (consumer, _) in _consumers)
        {
            await consumer.DisposeAsync();
        }

        _consumers.Clear();

        // A consumer loop that died of an error fails the test here.
        await Task.WhenAll(loops);
    }

    /// <summary>Polls the group's committed offsets (the group commits on its members' schedule) until each reaches a target.</summary>
    private async Task WaitForCommittedAsync(Func<TopicPartition, long> target, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var committed = await _broker.Admin.ListCommittedOffsetsAsync(_group, Partitions).WaitAsync(cancellationToken);
            var behind = Partitions.Where(p => !committed.Any(c => c.TopicPartition == p && c.Offset >= target(p))).ToList();
            if (behind.Count == 0)
            {
                return;
            }

            var failed = _consumers.Select(c => c.Loop).FirstOrDefault(loop => loop.IsCompleted);
            if (failed is not null)
            {
                await failed;
                throw new InvalidOperationException("A consumer stopped consuming on its own.");
            }

            if (Stopwatch.GetElapsedTime(started) > ProgressTimeout)
            {
                throw new TimeoutException(
                    $"The group had not committed {string.Join(", ", behind.Select(p => $"{p} up to {target(p)}"))} after {ProgressTimeout}: "
                    + string.Join(", ", committed));
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>Every record of every partition, by offset, read from the beginning up to the high watermark.</summary>
    private async Task<Dictionary<TopicPartition, List<RecordId>>> ReadLogAsync(CancellationToken cancellationToken)
    {
        var log = new Dictionary<TopicPartition, List<RecordId>>();
        var remaining = 0L;
        foreach (var partition in Partitions)
        {
            log[partition] = [];
            remaining += await _broker.Admin.ListOffsetsAsync(partition, OffsetSpec.Latest) ?? 0;
        }

        await using var reader = _broker.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest });
        await reader.AssignAsync(_topic, cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ProgressTimeout);
        if (remaining > 0)
        {
            await foreach (var record in reader.ConsumeAsync(deadline.Token))
            {
                var records = log[record.TopicPartition];
                Assert.Equal((long)records.Count, record.Offset);
                records.Add(RecordId.Parse(record.Value!.Value.Span));
                if (--remaining == 0)
                {
                    break;
                }
            }
        }

        return log;
    }

    /// <summary>
    /// Replays the group's journal: each member reads a partition from where it was given it, one offset after the other,
    /// until it gives it back or loses it; each record handed out is the one the log holds there; and every offset of
    /// every partition was handed out. Records read again after a partition moved are counted, not refused: the group
    /// promises at-least-once, from the last committed offset.
    /// </summary>
    private (long Delivered, long Redelivered, int Sessions, int Lost) ReplayJournal(Dictionary<TopicPartition, List<RecordId>> log)
    {
        var next = new Dictionary<(int Member, TopicPartition Partition), long>();
        var handedOut = log.ToDictionary(p => p.Key, p => new bool[p.Value.Count]);
        long delivered = 0, redelivered = 0;
        int sessions = 0, lost = 0;
        foreach (var entry in _journal)
        {
            var session = (entry.Member, entry.Partition);
            switch (entry.Kind)
            {
                case GroupEventKind.Assigned:
                    sessions++;
                    next[session] = entry.Offset;
                    break;
                case GroupEventKind.Revoked:
                case GroupEventKind.Lost:
                    lost += entry.Kind == GroupEventKind.Lost ? 1 : 0;
                    next.Remove(session);
                    break;
                case GroupEventKind.Delivered:
                    Assert.True(next.TryGetValue(session, out var expected), $"Member {entry.Member} was handed {entry.Partition}@{entry.Offset} without owning the partition.");
                    Assert.True(expected == entry.Offset, $"Member {entry.Member} was handed {entry.Partition}@{entry.Offset} after offset {expected - 1}.");
                    Assert.True(log[entry.Partition][(int)entry.Offset] == entry.Record, $"Member {entry.Member} was handed {entry.Record} at {entry.Partition}@{entry.Offset}, where the log holds {log[entry.Partition][(int)entry.Offset]}.");
                    next[session] = entry.Offset + 1;
                    delivered++;
                    redelivered += handedOut[entry.Partition][entry.Offset] ? 1 : 0;
                    handedOut[entry.Partition][entry.Offset] = true;
                    break;
            }
        }

        foreach (var (partition, offsets) in handedOut)
        {
            var missing = Array.IndexOf(offsets, false);
            Assert.True(missing < 0, $"No member of the group was handed {partition}@{missing}.");
        }

        return (delivered, redelivered, sessions, lost);
    }

    private enum GroupEventKind
    {
        Assigned,
        Revoked,
        Lost,
        Delivered,
    }

    private readonly record struct GroupEvent(GroupEventKind Kind, int Member, TopicPartition Partition, long Offset, RecordId Record);
}

/// <summary>
/// What a workload did: records acknowledged, the longest a producer waited for a window of them, and records handed to
/// the group's members (again, after a partition moved).
/// </summary>
internal readonly record struct WorkloadReport(long Acknowledged, TimeSpan LongestWindow, long Delivered, long Redelivered, int Assignments, int LostAssignments)
{
    public override string ToString() =>
        $"{Acknowledged} records acknowledged and found where acknowledged (a window of records waited at most {LongestWindow.TotalSeconds:F2} s); "
        + $"the group was handed {Delivered} records, "
        + $"{Redelivered} of them again after a partition moved ({Assignments} partition assignments, {LostAssignments} lost without a commit).";
}
