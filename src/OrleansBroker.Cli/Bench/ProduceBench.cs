using System.Diagnostics;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench produce</c>: several producers send fixed-size keyless records as fast as back-pressure allows,
/// keeping acknowledgements in flight; reports throughput and the time from produce to acknowledgement (of one record in 16).
/// </summary>
internal static class ProduceBench
{
    // Like Kafka's producer-perf-test, the acknowledgement latency is sampled: a clock reading per record costs more
    // than a tenth of the producer's own time per record, and one record in 16 still gives ~100k samples per second.
    private const int LatencySampling = 16;

    public static async Task<int> RunAsync(BrokerConnection connection, BenchSettings settings, CancellationToken cancellationToken)
    {
        var client = connection.Client;
        await settings.EnsureTopicAsync(client);
        var payload = new byte[settings.RecordSize];
        Random.Shared.NextBytes(payload);

        var producers = new Producer[settings.Producers];
        var windows = new ProduceWindow[settings.Producers];
        var latencies = new LatencyHistogram[settings.Producers];
        for (var i = 0; i < producers.Length; i++)
        {
            producers[i] = client.CreateProducer(settings.Producer);
            latencies[i] = new LatencyHistogram();
            windows[i] = new ProduceWindow(producers[i], latencies[i]);
        }

        if (settings.Warmup > 0)
        {
            var warming = producers.Select(p => new ProduceWindow(p)).ToArray();
            await ProduceAllAsync(producers, warming, settings.Topic, payload, settings.Warmup, cancellationToken);
            if (await ProduceWindow.ReportFailuresAsync(warming) is var failed and not ExitCodes.Success)
            {
                return failed;
            }
        }

        var cpu = await CpuMeter.StartAsync(connection.GrainFactory);
        var started = Stopwatch.GetTimestamp();
        await using (ProgressDisplay.Start("produce", () => windows.Sum(w => w.Acknowledged), settings.RecordSize))
        {
            await ProduceAllAsync(producers, windows, settings.Topic, payload, settings.Records, cancellationToken);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var acknowledged = windows.Sum(w => w.Acknowledged);
        var cpuFields = await cpu.StopAsync(acknowledged);
        foreach (var producer in producers)
        {
            await producer.DisposeAsync();
        }

        var latency = latencies[0];
        foreach (var other in latencies.Skip(1))
        {
            latency.Add(other);
        }

        await BenchReport.WriteAsync(
            "produce", settings, acknowledged, elapsed, ("ack latency", latency), $"producers={settings.Producers} {cpuFields}");
        return await ProduceWindow.ReportFailuresAsync(windows);
    }

    /// <summary>The producers send <paramref name="records"/> between them, split evenly (the first take the remainder).</summary>
    private static Task ProduceAllAsync(
        Producer[] producers, ProduceWindow[] windows, string topic, ReadOnlyMemory<byte> payload, long records, CancellationToken cancellationToken) =>
        Task.WhenAll(producers.Select((producer, i) =>
        {
            var share = (records / producers.Length) + (i < records % producers.Length ? 1 : 0);
            var window = windows[i];
            return Task.Run(() => ProduceAsync(producer, window, topic, payload, share, cancellationToken), cancellationToken);
        }));

    private static async Task ProduceAsync(
        Producer producer, ProduceWindow window, string topic, ReadOnlyMemory<byte> payload, long count, CancellationToken cancellationToken)
    {
        for (var i = 0L; i < count && window.FirstError is null && !cancellationToken.IsCancellationRequested; i++)
        {
            await window.WaitForRoomAsync(payload.Length);
            var sentAt = i % LatencySampling == 0 ? Stopwatch.GetTimestamp() : ProduceWindow.NotSampled;
            window.Add(producer.ProduceAsync(topic, null, payload), sentAt);

            // The first record waits for the topic's metadata; the ones behind it would wait as copies, so it goes alone.
            if (i == 0)
            {
                await window.DrainAsync();
            }
        }

        await window.DrainAsync();
    }
}
