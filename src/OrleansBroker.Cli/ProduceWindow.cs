using System.Diagnostics;
using OrleansBroker.Cli.Bench;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Cli;

/// <summary>
/// The acknowledgements of produced records, kept in flight instead of awaited one by one, so the producer can
/// batch. Before each record the caller asks for room: the window waits for its oldest acknowledgements only
/// while the producer's buffer (or the window itself) is full, which is the producer's back-pressure.
/// Used by one loop at a time; the counters may be read from any thread.
/// </summary>
internal sealed class ProduceWindow(Producer producer, LatencyHistogram? ackLatency = null)
{
    // Waiting for room below the producer's buffer size keeps records on its fast path, where it copies them
    // into a batch at once, rather than queueing copies. The count cap keeps this queue small enough for the GC:
    // with 400 k acknowledgements in flight per producer (a full 64 MiB buffer), each young collection scanned the
    // queue's old array slot by slot and paused the client for 100-280 ms; 64 k still keeps the producers busy.
    private static readonly long MaxBufferedBytes = ProducerOptions.Default.BufferBytes;
    private const int MaxRecords = 1 << 16;

    // Room asked per record beyond its key and value: at least the producer's worst-case record framing.
    private const int RecordOverhead = 64;

    // Records added between looks at the oldest acknowledgements while there is room. A batch acknowledges about a
    // thousand records at once, so a look per record mostly found the same pending one again: in a profile of
    // `bench produce` the looks took 5-6 % of the client's CPU, against 2 % looking every 64 records. The sampled ack
    // latency grows by the time 64 records take to produce, a tenth of a millisecond at full speed.
    private const int LookInterval = 64;

    /// <summary>The send time of a record whose latency is not sampled.</summary>
    public const long NotSampled = -1;

    private readonly Queue<InFlight> _inFlight = new();
    private long _acknowledged;
    private long _failed;
    private int _sinceLook;

    public long Acknowledged => Volatile.Read(ref _acknowledged);

    public long Failed => Volatile.Read(ref _failed);

    /// <summary>The first failure, which stops a producing loop.</summary>
    public Exception? FirstError { get; private set; }

    /// <summary>
    /// Waits until a record with <paramref name="keyAndValueBytes"/> bytes of key and value fits, taking in acknowledgements
    /// meanwhile: every <see cref="LookInterval"/> records, and whenever the window is full.
    /// </summary>
    public ValueTask WaitForRoomAsync(int keyAndValueBytes)
    {
        var size = keyAndValueBytes + RecordOverhead;
        if (++_sinceLook < LookInterval && HasRoom(size))
        {
            return ValueTask.CompletedTask;
        }

        _sinceLook = 0;
        TakeAcknowledged();
        return MustWait(size) ? WaitForRoomSlowAsync(size) : ValueTask.CompletedTask;
    }

    /// <summary>
    /// Tracks a produced record; <paramref name="sentAt"/> is its <see cref="Stopwatch"/> timestamp, or
    /// <see cref="NotSampled"/> for a record whose latency is not recorded.
    /// </summary>
    public void Add(ValueTask<ProduceResult> ack, long sentAt = NotSampled) => _inFlight.Enqueue(new InFlight(ack, sentAt));

    /// <summary>Records a record that failed before it was handed to the producer.</summary>
    public void AddFailure(Exception exception)
    {
        FirstError ??= exception;
        Interlocked.Increment(ref _failed);
    }

    /// <summary>Flushes the producer and waits for every acknowledgement.</summary>
    public async Task DrainAsync()
    {
        await producer.FlushAsync();
        while (_inFlight.Count > 0)
        {
            await CompleteOldestAsync();
            TakeAcknowledged();
        }
    }

    /// <summary>Writes the first failure of any window as one line on standard error and returns the exit code it means.</summary>
    public static async Task<int> ReportFailuresAsync(params ProduceWindow[] windows)
    {
        if (windows.Select(w => w.FirstError).FirstOrDefault(e => e is not null) is not { } error)
        {
            return ExitCodes.Success;
        }

        await Console.Error.WriteLineAsync(
            $"obroker: {windows.Sum(w => w.Failed)} record(s) failed ({windows.Sum(w => w.Acknowledged)} acknowledged): {error.Message}");
        return error switch
        {
            BrokerException => ExitCodes.BrokerError,
            _ when BrokerAction.IsConnectionLoss(error) => ExitCodes.Unreachable,
            _ => ExitCodes.Failure,
        };
    }

    /// <summary>Whether the oldest record failed (awaiting it records the failure) or there is no room for <paramref name="size"/> bytes.</summary>
    private bool MustWait(int size) => _inFlight.TryPeek(out var oldest) && (oldest.Ack.IsCompleted || !HasRoom(size));

    private bool HasRoom(int size) => _inFlight.Count < MaxRecords && producer.BufferedBytes + size <= MaxBufferedBytes;

    private async ValueTask WaitForRoomSlowAsync(int size)
    {
        do
        {
            await CompleteOldestAsync();
            TakeAcknowledged();
        }
        while (MustWait(size));
    }

    /// <summary>
    /// Takes in the acknowledgements that are already there, oldest first, without awaiting: a batch completes all
    /// its records at once, so one pass (and one clock reading, their common end time) usually takes thousands.
    /// Stops at a failed record, which <see cref="CompleteOldestAsync"/> takes in.
    /// </summary>
    private void TakeAcknowledged()
    {
        if (!_inFlight.TryPeek(out var oldest) || !oldest.Ack.IsCompletedSuccessfully)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var acknowledged = 0;
        while (_inFlight.TryPeek(out oldest) && oldest.Ack.IsCompletedSuccessfully)
        {
            _inFlight.Dequeue();
            if (oldest.SentAt != NotSampled)
            {
                ackLatency?.Record(oldest.SentAt, now);
            }

            acknowledged++;
        }

        Interlocked.Add(ref _acknowledged, acknowledged);
    }

    private async ValueTask CompleteOldestAsync()
    {
        var oldest = _inFlight.Dequeue();
        try
        {
            await oldest.Ack;
            if (oldest.SentAt != NotSampled)
            {
                ackLatency?.RecordSince(oldest.SentAt);
            }

            Interlocked.Increment(ref _acknowledged);
        }
        catch (Exception exception)
        {
            AddFailure(exception);
        }
    }

    private readonly record struct InFlight(ValueTask<ProduceResult> Ack, long SentAt);
}
