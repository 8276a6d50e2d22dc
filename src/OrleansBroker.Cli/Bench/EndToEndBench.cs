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
/// the time from send to receipt. The first <see cref="BenchSettings.Warmup"/> records go out at the same rate
/// before the measured ones and are not timed, as the peers' harness does: the figures describe a running broker,
/// not one compiling its code and opening its partitions.
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

        // One record before the clock starts loads the topic's metadata, so the first record sent does not wait for it (the
        // first measured one, with --warmup 0).
        await producer.ProduceAsync(settings.Topic, null, payload);

        await using var consumer = client.CreateConsumer(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Latest });
        await consumer.AssignAsync(settings.Topic, cancellationToken);
        using var stopConsumer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiver = new Receiver(settings.Warmup + settings.Records);
        var receiving = Task.Run(() => receiver.ReceiveAsync(consumer, stopConsumer.Token), CancellationToken.None);

        long sent;
        await using (ProgressDisplay.Start("e2e", () => receiver.Measured, settings.RecordSize))
        {
            sent = await SendAtRateAsync(producer, window, settings, payload, receiver, cancellationToken);
            await window.DrainAsync();
            stopConsumer.CancelAfter(BenchSettings.IdleTimeout);
            if (sent == 0)
            {
                // Stopped (a failure, Ctrl+C) before the first measured record: there is nothing to report.
                await stopConsumer.CancelAsync();
                await receiving;
                return await ProduceWindow.ReportFailuresAsync(window) is var failed and not ExitCodes.Success ? failed : ExitCodes.Failure;
            }

            var producing = Stopwatch.GetElapsedTime(receiver.MeasuredFrom);
            await receiving;

            var fields = string.Create(
                CultureInfo.InvariantCulture,
                $"target_rate={settings.Rate} achieved_rate={sent / producing.TotalSeconds:F0} sent={sent} received={receiver.Measured} warmup={settings.Warmup}");
            await BenchReport.WriteAsync(
                "e2e", settings, receiver.Measured, Stopwatch.GetElapsedTime(receiver.MeasuredFrom), ("end-to-end latency", receiver.Latency), fields);
        }

        var failures = await ProduceWindow.ReportFailuresAsync(window);
        if (failures != ExitCodes.Success)
        {
            return failures;
        }

        if (receiver.Measured < sent)
        {
            await Console.Error.WriteLineAsync($"obroker: the consumer received {receiver.Measured} of {sent} measured records.");
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// Sends the warm-up records and then the measured ones at the rate: record i is due at origin + (i - first) / rate,
    /// where the schedule starts again (first, origin) with the first measured record, so a warm-up that fell behind does
    /// not bunch the measured ones. Each pass sends every record that is due, then sleeps until the next one is (at least a
    /// millisecond), so the rate holds whatever the sleep took. The sleep is a <see cref="PreciseTimeProvider"/> timer: on
    /// .NET's own, which fire on the kernel tick, a 1 ms sleep took 4-8 ms here and sent the records in bursts of 200-400.
    /// Returns how many measured records it sent.
    /// </summary>
    private static async Task<long> SendAtRateAsync(
        Producer producer, ProduceWindow window, BenchSettings settings, byte[] payload, Receiver receiver, CancellationToken cancellationToken)
    {
        var total = settings.Warmup + settings.Records;
        var origin = Stopwatch.GetTimestamp();
        var first = 0L;
        var sent = 0L;
        while (sent < total && window.FirstError is null && !cancellationToken.IsCancellationRequested)
        {
            var due = Math.Min(total, first + (long)(Stopwatch.GetElapsedTime(origin).TotalSeconds * settings.Rate) + 1);
            for (; sent < due; sent++)
            {
                await window.WaitForRoomAsync(payload.Length);

                // The producer copies the value before ProduceAsync returns, so one buffer serves every record.
                var sentAt = Stopwatch.GetTimestamp();
                if (sent == settings.Warmup)
                {
                    // The first measured record: it goes now, and the schedule counts from it.
                    receiver.MeasureFrom(sentAt);
                    origin = sentAt;
                    first = sent;
                    due = sent + 1;
                }

                BinaryPrimitives.WriteInt64LittleEndian(payload, sentAt);
                window.Add(producer.ProduceAsync(settings.Topic, null, payload), sentAt);
            }

            // Sleep at least a timer tick: a shorter delay rounds down to none, and the loop would spin a core the broker needs.
            var wait = TimeSpan.FromSeconds((double)(sent - first) / settings.Rate) - Stopwatch.GetElapsedTime(origin);
            if (sent < total)
            {
                await Task.Delay(wait > MinimumSleep ? wait : MinimumSleep, PreciseTimeProvider.Instance, cancellationToken);
            }
        }

        return Math.Max(0, sent - settings.Warmup);
    }

    /// <summary>
    /// The consumer's side: receives up to the expected count and records the latency of each record sent from
    /// <see cref="MeasuredFrom"/> on (stamps grow with each send, so the warm-up records are the ones stamped earlier).
    /// </summary>
    private sealed class Receiver(long expected)
    {
        private long _received;
        private long _measured;
        private long _measuredFrom = long.MaxValue;

        public LatencyHistogram Latency { get; } = new();

        /// <summary>How many measured records arrived.</summary>
        public long Measured => Volatile.Read(ref _measured);

        /// <summary>The send time of the first measured record (<see cref="long.MaxValue"/> until it is sent).</summary>
        public long MeasuredFrom => Volatile.Read(ref _measuredFrom);

        public void MeasureFrom(long timestamp) => Volatile.Write(ref _measuredFrom, timestamp);

        public async Task ReceiveAsync(Consumer consumer, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var record in consumer.ConsumeAsync(cancellationToken))
                {
                    var now = Stopwatch.GetTimestamp();
                    var value = record.Record.Value.Span;
                    if (value.Length >= StampSize && BinaryPrimitives.ReadInt64LittleEndian(value) is var sentAt && sentAt >= MeasuredFrom)
                    {
                        Latency.Record(sentAt, now);
                        Interlocked.Increment(ref _measured);
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
