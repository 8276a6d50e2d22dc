using System.Diagnostics;
using System.Globalization;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench group</c>: several consumers of one new consumer group join one after another, each reading as soon as it
/// has joined, as separate processes would, and read the topic from the beginning; reports their total throughput from
/// the first join on (the group's rebalances included) and how long the rebalances took until every member had
/// partitions. With <c>--warmup</c>, a plain consumer reads that many records untimed first.
/// </summary>
internal static class GroupBench
{
    public static async Task<int> RunAsync(BrokerClient client, BenchSettings settings, CancellationToken cancellationToken)
    {
        await settings.EnsureTopicAsync(client);
        var target = await settings.ReadTargetAsync(client);
        if (target == 0)
        {
            return ExitCodes.Failure;
        }

        var warmedUp = await ConsumeBench.WarmUpAsync(client, settings, target, cancellationToken);

        // A new group has no committed offsets, so every member starts at the beginning of the partitions it gets.
        var group = $"bench-{Guid.NewGuid():N}";
        var consumers = new List<Consumer>(settings.Consumers);
        var loops = new List<Task>(settings.Consumers);
        var rebalance = new RebalanceClock(Math.Min(settings.Consumers, settings.Partitions));
        var count = 0L;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using (ProgressDisplay.Start("group", () => Volatile.Read(ref count), settings.RecordSize))
        {
            stop.CancelAfter(BenchSettings.IdleTimeout);
            for (var i = 0; i < settings.Consumers; i++)
            {
                var member = i;
                var consumer = client.CreateConsumer(new ConsumerOptions
                {
                    GroupId = group,
                    AutoOffsetReset = AutoOffsetReset.Earliest,
                    PartitionsAssigned = _ => rebalance.AssignedAsync(member),
                });
                consumers.Add(consumer);
                await consumer.SubscribeAsync([settings.Topic], cancellationToken);
                loops.Add(Task.Run(() => ConsumeAsync(consumer), CancellationToken.None));
            }

            await Task.WhenAll(loops);
        }

        var elapsed = rebalance.Elapsed;
        var read = Volatile.Read(ref count);
        if (read < target)
        {
            await Console.Error.WriteLineAsync("obroker: consumption stopped before reading every record.");
        }

        foreach (var consumer in consumers)
        {
            await consumer.DisposeAsync();
        }

        var fields = string.Create(CultureInfo.InvariantCulture, $"consumers={settings.Consumers} group={group} members_assigned={rebalance.MembersAssigned} warmup={warmedUp}");
        if (rebalance.Completed is { } completed)
        {
            await Console.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture, $"group: every member had partitions {completed.TotalSeconds:F3} s after the first join"));
            fields += string.Create(CultureInfo.InvariantCulture, $" rebalance_s={completed.TotalSeconds:F3}");
        }
        else
        {
            await Console.Out.WriteLineAsync("group: the records were read before every member had partitions");
        }

        await BenchReport.WriteAsync("group", settings, read, elapsed, latency: null, fields);
        return read >= target ? ExitCodes.Success : ExitCodes.Failure;

        async Task ConsumeAsync(Consumer consumer)
        {
            try
            {
                await foreach (var _ in consumer.ConsumeAsync(stop.Token))
                {
                    var consumed = Interlocked.Increment(ref count);
                    if (consumed >= target)
                    {
                        rebalance.Finished();
                        await stop.CancelAsync();
                        break;
                    }

                    // Re-arming the idle timer costs more than reading a record: do it once per few thousand.
                    if ((consumed & 4095) == 0)
                    {
                        stop.CancelAfter(BenchSettings.IdleTimeout);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The target was reached by the group, or the idle timeout or Ctrl+C ended the run.
            }
        }
    }

    /// <summary>Times the run from the first join, and the rebalances until <c>expected</c> members were each given partitions.</summary>
    private sealed class RebalanceClock(int expected)
    {
        private readonly Lock _lock = new();
        private readonly HashSet<int> _assigned = [];
        private readonly long _started = Stopwatch.GetTimestamp();
        private long _finished;

        public TimeSpan? Completed { get; private set; }

        public int MembersAssigned
        {
            get
            {
                lock (_lock)
                {
                    return _assigned.Count;
                }
            }
        }

        /// <summary>From the first join to the last record, or to now when the run stopped short.</summary>
        public TimeSpan Elapsed
        {
            get
            {
                lock (_lock)
                {
                    return Stopwatch.GetElapsedTime(_started, _finished != 0 ? _finished : Stopwatch.GetTimestamp());
                }
            }
        }

        public Task AssignedAsync(int member)
        {
            lock (_lock)
            {
                if (_assigned.Add(member) && _assigned.Count == expected && _finished == 0)
                {
                    Completed = Stopwatch.GetElapsedTime(_started);
                }
            }

            return Task.CompletedTask;
        }

        public void Finished()
        {
            lock (_lock)
            {
                _finished = Stopwatch.GetTimestamp();
            }
        }
    }
}
