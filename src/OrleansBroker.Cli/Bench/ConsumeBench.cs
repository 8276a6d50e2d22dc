using System.Diagnostics;
using System.Globalization;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;

namespace OrleansBroker.Cli.Bench;

/// <summary><c>bench consume</c>: reads records from the beginning of every partition; reports throughput.</summary>
internal static class ConsumeBench
{
    public static async Task<int> RunAsync(BrokerClient client, BenchSettings settings, CancellationToken cancellationToken)
    {
        await settings.EnsureTopicAsync(client);
        var target = await settings.ReadTargetAsync(client);
        if (target == 0)
        {
            return ExitCodes.Failure;
        }

        await using var consumer = client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest });
        await consumer.AssignAsync(settings.Topic, cancellationToken);
        var count = 0L;
        var bytes = 0L;
        var started = Stopwatch.GetTimestamp();
        await using (ProgressDisplay.Start("consume", () => Volatile.Read(ref count), settings.RecordSize))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stop.CancelAfter(BenchSettings.IdleTimeout);
            try
            {
                await foreach (var record in consumer.ConsumeAsync(stop.Token))
                {
                    bytes += record.Record.Value.Length;
                    var consumed = count + 1;
                    Volatile.Write(ref count, consumed);
                    if (consumed >= target)
                    {
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
                await Console.Error.WriteLineAsync("obroker: consumption stopped before reading every record.");
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await BenchReport.WriteAsync(
            "consume", settings, count, elapsed, latency: null, string.Create(CultureInfo.InvariantCulture, $"value_bytes={bytes}"));
        return count == target ? ExitCodes.Success : ExitCodes.Failure;
    }
}
