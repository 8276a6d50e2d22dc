using System.Diagnostics;
using System.Globalization;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;

namespace OrleansBroker.Cli.Bench;

/// <summary><c>bench group</c>: several consumers of one new consumer group read the topic from the beginning; reports their total throughput.</summary>
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

        // A new group has no committed offsets, so every member starts at the beginning of the partitions it gets.
        var group = $"bench-{Guid.NewGuid():N}";
        var consumers = new Consumer[settings.Consumers];
        for (var i = 0; i < consumers.Length; i++)
        {
            consumers[i] = client.CreateConsumer(new ConsumerOptions { GroupId = group, AutoOffsetReset = AutoOffsetReset.Earliest });
            await consumers[i].SubscribeAsync([settings.Topic], cancellationToken);
        }

        var count = 0L;
        var started = Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using (ProgressDisplay.Start("group", () => Volatile.Read(ref count), settings.RecordSize))
        {
            stop.CancelAfter(BenchSettings.IdleTimeout);
            await Task.WhenAll(consumers.Select(consumer => Task.Run(() => ConsumeAsync(consumer), CancellationToken.None)));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var read = Volatile.Read(ref count);
        if (read < target)
        {
            await Console.Error.WriteLineAsync("obroker: consumption stopped before reading every record.");
        }

        foreach (var consumer in consumers)
        {
            await consumer.DisposeAsync();
        }

        await BenchReport.WriteAsync(
            "group", settings, read, elapsed, latency: null, string.Create(CultureInfo.InvariantCulture, $"consumers={settings.Consumers} group={group}"));
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
}
