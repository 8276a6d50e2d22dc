using System.Diagnostics;
using System.Globalization;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench consume</c>: reads records from the beginning of every partition; reports throughput. With <c>--warmup</c>, a
/// consumer of its own reads that many records untimed first.
/// </summary>
internal static class ConsumeBench
{
    public static async Task<int> RunAsync(BrokerConnection connection, BenchSettings settings, CancellationToken cancellationToken)
    {
        var client = connection.Client;
        await settings.EnsureTopicAsync(client);
        var target = await settings.ReadTargetAsync(client);
        if (target == 0)
        {
            return ExitCodes.Failure;
        }

        var warmedUp = await WarmUpAsync(client, settings, target, cancellationToken);
        await using var consumer = client.CreateConsumer(ReadFromStart);
        await consumer.AssignAsync(settings.Topic, cancellationToken);
        var progress = new Progress();
        var cpu = await CpuMeter.StartAsync(connection.GrainFactory);
        var started = Stopwatch.GetTimestamp();
        await using (ProgressDisplay.Start("consume", () => progress.Count, settings.RecordSize))
        {
            await ReadAsync(consumer, target, progress, "consumption", cancellationToken);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuFields = await cpu.StopAsync(progress.Count);
        await BenchReport.WriteAsync(
            "consume", settings, progress.Count, elapsed, latency: null, string.Create(CultureInfo.InvariantCulture, $"value_bytes={progress.Bytes} warmup={warmedUp} {cpuFields}"));
        return progress.Count == target ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>
    /// Reads <see cref="BenchSettings.Warmup"/> records untimed, at most the <paramref name="target"/> the timed read takes,
    /// with a consumer of its own, so a timed read that follows from the beginning runs compiled code. Returns how many it read.
    /// </summary>
    public static async Task<long> WarmUpAsync(BrokerClient client, BenchSettings settings, long target, CancellationToken cancellationToken)
    {
        if (settings.Warmup == 0)
        {
            return 0;
        }

        await using var warming = client.CreateConsumer(ReadFromStart);
        await warming.AssignAsync(settings.Topic, cancellationToken);
        var progress = new Progress();
        await ReadAsync(warming, Math.Min(settings.Warmup, target), progress, "the warm-up", cancellationToken);
        return progress.Count;
    }

    private static ConsumerOptions ReadFromStart => new() { AutoOffsetReset = AutoOffsetReset.Earliest };

    /// <summary>
    /// Reads <paramref name="target"/> records, or fewer when none arrives for <see cref="BenchSettings.IdleTimeout"/> (said on
    /// standard error, naming the read <paramref name="what"/>).
    /// </summary>
    private static async Task ReadAsync(Consumer consumer, long target, Progress progress, string what, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(BenchSettings.IdleTimeout);
        try
        {
            await foreach (var record in consumer.ConsumeAsync(stop.Token))
            {
                progress.Bytes += record.Record.Value.Length;
                var consumed = progress.Count + 1;
                progress.Count = consumed;
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
            await Console.Error.WriteLineAsync($"obroker: {what} stopped before reading every record.");
        }
    }

    /// <summary>What a read took in so far; the progress display reads <see cref="Count"/> from another thread.</summary>
    private sealed class Progress
    {
        private long _count;

        public long Count
        {
            get => Volatile.Read(ref _count);
            set => Volatile.Write(ref _count, value);
        }

        public long Bytes { get; set; }
    }
}
