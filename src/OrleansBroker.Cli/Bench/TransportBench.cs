using System.Diagnostics;
using System.Globalization;
using OrleansBroker.Grains;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench transport</c>: the raw Orleans ceiling for the produce path's call shape. Each sender calls its own
/// <see cref="IBenchSinkGrain"/> with one packed buffer of <see cref="TransportShape.RecordsPerCall"/> records,
/// keeping <see cref="TransportShape.Depth"/> calls in flight; the grain only returns the buffer's length. No
/// encoding, validation or log: what is left is the client, the wire, serialization and the grain scheduler.
/// </summary>
internal static class TransportBench
{
    /// <summary>
    /// Measures and reports the ceiling for the records, record size and JSON output of <paramref name="settings"/>
    /// (its topic is not used); returns the exit code and the records per second carried.
    /// </summary>
    public static async Task<(int ExitCode, double RecordsPerSecond)> RunAsync(
        IGrainFactory grains, BenchSettings settings, TransportShape shape, CancellationToken cancellationToken)
    {
        var callBytes = checked(shape.RecordsPerCall * settings.RecordSize);
        var buffer = new byte[callBytes];
        Random.Shared.NextBytes(buffer);
        var senders = Enumerable.Range(0, shape.Senders).Select(_ => new Sender(grains.GetGrain<IBenchSinkGrain>(Guid.NewGuid()), shape, settings.RecordSize)).ToArray();

        // Untimed calls first, --warmup records between the senders and at least two windows each: they activate the grains
        // and get the client's and the silo's call paths optimized before the clock starts.
        var warmup = Math.Max(settings.Warmup / senders.Length, shape.Depth * 2L * shape.RecordsPerCall);
        await Task.WhenAll(senders.Select(s => s.SendAsync(buffer, warmup, cancellationToken)));
        foreach (var sender in senders)
        {
            sender.Reset();
        }

        var started = Stopwatch.GetTimestamp();
        await using (ProgressDisplay.Start("transport", () => senders.Sum(s => s.Records), settings.RecordSize))
        {
            await Task.WhenAll(senders.Select((sender, i) =>
            {
                // Records split evenly; the first senders take the remainder.
                var share = (settings.Records / senders.Length) + (i < settings.Records % senders.Length ? 1 : 0);
                return Task.Run(() => sender.SendAsync(buffer, share, cancellationToken), cancellationToken);
            }));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var latency = senders[0].Latency;
        foreach (var other in senders.Skip(1))
        {
            latency.Add(other.Latency);
        }

        var carried = senders.Sum(s => s.Records);
        var summary = await BenchReport.WriteAsync(
            "transport",
            settings,
            carried,
            elapsed,
            ("call latency", latency),
            string.Create(
                CultureInfo.InvariantCulture,
                $"senders={shape.Senders} records_per_call={shape.RecordsPerCall} depth={shape.Depth} calls={senders.Sum(s => s.Calls)} wrong_lengths={senders.Sum(s => s.WrongLengths)}"));
        var succeeded = carried == settings.Records && senders.All(s => s.WrongLengths == 0);
        if (!succeeded)
        {
            await Console.Error.WriteLineAsync($"obroker: the sink grains took {carried} of {settings.Records} records whole.");
        }

        return (succeeded ? ExitCodes.Success : ExitCodes.Failure, summary.Number("rec_per_s") ?? 0);
    }

    /// <summary>One sender's calls to its sink grain, at most <see cref="TransportShape.Depth"/> in flight. Used by one loop at a time.</summary>
    private sealed class Sender(IBenchSinkGrain sink, TransportShape shape, int recordSize)
    {
        private readonly Queue<InFlight> _inFlight = new();
        private long _records;

        public LatencyHistogram Latency { get; private set; } = new();

        /// <summary>Records the grain acknowledged with the right length.</summary>
        public long Records => Volatile.Read(ref _records);

        public long Calls { get; private set; }

        public long WrongLengths { get; private set; }

        public void Reset()
        {
            (Latency, _records, Calls, WrongLengths) = (new LatencyHistogram(), 0, 0, 0);
        }

        /// <summary>Sends <paramref name="records"/> records in calls carrying the start of <paramref name="buffer"/>, then waits for every answer.</summary>
        public async Task SendAsync(byte[] buffer, long records, CancellationToken cancellationToken)
        {
            for (var sent = 0L; sent < records && !cancellationToken.IsCancellationRequested;)
            {
                if (_inFlight.Count >= shape.Depth)
                {
                    await CompleteOldestAsync();
                }

                var count = (int)Math.Min(shape.RecordsPerCall, records - sent);
                var length = count * recordSize;
                _inFlight.Enqueue(new InFlight(sink.AcceptAsync(new BatchBytes(buffer.AsMemory(0, length))), length, count, Stopwatch.GetTimestamp()));
                sent += count;
            }

            while (_inFlight.Count > 0)
            {
                await CompleteOldestAsync();
            }
        }

        private async Task CompleteOldestAsync()
        {
            var (call, length, records, sentAt) = _inFlight.Dequeue();
            var accepted = await call;
            Latency.RecordSince(sentAt);
            Calls++;
            if (accepted == length)
            {
                Interlocked.Add(ref _records, records);
            }
            else
            {
                WrongLengths++;
            }
        }

        private readonly record struct InFlight(ValueTask<int> Call, int Length, int Records, long SentAt);
    }
}

/// <summary>How the transport bench sends: <paramref name="Senders"/> concurrent senders, <paramref name="RecordsPerCall"/> records packed in each call, <paramref name="Depth"/> calls in flight per sender.</summary>
internal sealed record TransportShape(int Senders, int RecordsPerCall, int Depth)
{
    /// <summary>The shape <c>bench produce --with-ceiling</c> measures with: the produce path's batches of about 100 KB, from 4 senders.</summary>
    public static readonly TransportShape Default = new(Senders: 4, RecordsPerCall: 1000, Depth: 4);
}
