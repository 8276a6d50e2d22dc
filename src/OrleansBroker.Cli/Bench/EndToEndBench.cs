using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench e2e</c>: a consumer waits at the end of the topic; one producer sends records at a fixed rate, each
/// stamped with its send time (a <see cref="Stopwatch"/> timestamp in its first 8 bytes); the consumer measures
/// the time from send to receipt.
/// </summary>
internal static class EndToEndBench
{
    public const int StampSize = sizeof(long);

    private static readonly TimeSpan MinimumSleep = TimeSpan.FromMilliseconds(1);

    public static async Task<int> RunAsync(BrokerClient client, BenchSettings settings, CancellationToken cancellationToken)
    {
        await settings.EnsureTopicAsync(client);
        await using var producer = client.CreateProducer(settings.Producer);
        var window = new ProduceWindow(producer);
        var payload = new byte[settings.RecordSize];
        Random.Shared.NextBytes(payload);

        // One record before the clock starts loads the topic's metadata, so the first measured record does not wait for it.
        await producer.ProduceAsync(settings.Topic, null, payload);

        await using var consumer = client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Latest });
        await consumer.AssignAsync(settings.Topic, cancellationToken);
        using var stopConsumer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiver = new Receiver(settings.Records);
        var receiving = Task.Run(() => receiver.ReceiveAsync(consumer, stopConsumer.Token), CancellationToken.None);

        var started = Stopwatch.GetTimestamp();
        long sent;
        await using (ProgressDisplay.Start("e2e", () => receiver.Received, settings.RecordSize))
        {
            sent = await SendAtRateAsync(producer, window, settings, payload, cancellationToken);
            await window.DrainAsync();
            var producing = Stopwatch.GetElapsedTime(started);
            stopConsumer.CancelAfter(BenchSettings.IdleTimeout);
            await receiving;

            var fields = string.Create(
                CultureInfo.InvariantCulture,
                $"target_rate={settings.Rate} achieved_rate={sent / producing.TotalSeconds:F0} sent={sent} received={receiver.Received}");
            await BenchReport.WriteAsync("e2e", settings, receiver.Received, Stopwatch.GetElapsedTime(started), ("end-to-end latency", receiver.Latency), fields);
        }

        var failures = await ProduceWindow.ReportFailuresAsync(window);
        if (failures != ExitCodes.Success)
        {
            return failures;
        }

        if (receiver.Received < sent)
        {
            await Console.Error.WriteLineAsync($"obroker: the consumer received {receiver.Received} of {sent} records.");
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Sends records on a schedule: record i is due at start + i / rate. Each pass sends every record that is due,
    /// then sleeps until the next one is (at least a millisecond), so the rate holds even though timers tick only every
    /// millisecond or so.
    /// </summary>
    private static async Task<long> SendAtRateAsync(
        Producer producer, ProduceWindow window, BenchSettings settings, byte[] payload, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var sent = 0L;
        while (sent < settings.Records && window.FirstError is null && !cancellationToken.IsCancellationRequested)
        {
            var due = Math.Min(settings.Records, (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * settings.Rate) + 1);
            for (; sent < due; sent++)
            {
                await window.WaitForRoomAsync(payload.Length);

                // The producer copies the value before ProduceAsync returns, so one buffer serves every record.
                var sentAt = Stopwatch.GetTimestamp();
                BinaryPrimitives.WriteInt64LittleEndian(payload, sentAt);
                window.Add(producer.ProduceAsync(settings.Topic, null, payload), sentAt);
            }

            // Sleep at least a timer tick: a shorter delay rounds down to none, and the loop would spin a core the broker needs.
            var wait = TimeSpan.FromSeconds((double)sent / settings.Rate) - Stopwatch.GetElapsedTime(started);
            if (sent < settings.Records)
            {
                await Task.Delay(wait > MinimumSleep ? wait : MinimumSleep, cancellationToken);
            }
        }

        return sent;
    }

    /// <summary>The consumer's side: receives up to the expected count and records each record's latency.</summary>
    private sealed class Receiver(long expected)
    {
        private long _received;

        public LatencyHistogram Latency { get; } = new();

        public long Received => Volatile.Read(ref _received);

        public async Task ReceiveAsync(Consumer consumer, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var record in consumer.ConsumeAsync(cancellationToken))
                {
                    var now = Stopwatch.GetTimestamp();
                    var value = record.Record.Value.Span;
                    if (value.Length >= StampSize)
                    {
                        Latency.Record(BinaryPrimitives.ReadInt64LittleEndian(value), now);
                    }

                    if (Interlocked.Increment(ref _received) >= expected)
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The idle timeout after the last send, or Ctrl+C: report what arrived.
            }
        }
    }
}
