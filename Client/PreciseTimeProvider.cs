namespace OrleansBroker.Client;

/// <summary>
/// The system clock, with timers that fire within about a millisecond of their due time.
/// </summary>
/// <remarks>
/// .NET's own timers on Linux compare due times against the coarse monotonic clock, which moves once per kernel
/// tick: with <c>CONFIG_HZ=250</c>, common on cloud kernels, a 1 ms <see cref="Task.Delay(TimeSpan)"/> takes 4-8 ms
/// and a producer's 5 ms linger 8-12 ms. This provider keeps its timers on one dedicated thread, which sleeps in a
/// timed monitor wait (the kernel wakes it at the time asked, not at the next tick), and hands each due callback to
/// the thread pool, in the execution context of the timer's creator, as the system timers do.
/// <see cref="BrokerClient"/> uses it in place of <see cref="TimeProvider.System"/>: same clock, same time zone,
/// only the timers differ.
/// </remarks>
public sealed class PreciseTimeProvider : TimeProvider
{
    // The longest due time or period a System.Threading.Timer accepts, in milliseconds.
    private const long MaxTimerMilliseconds = 0xfffffffe;

    // Monitor.Wait takes an object; everything here is guarded by it, including each timer's state.
    private readonly object _gate = new();
    private readonly PriorityQueue<PreciseTimer, long> _due = new();
    private Thread? _thread;

    // The time the thread sleeps until (long.MaxValue: until pulsed). Only an earlier due time needs to wake it.
    private long _wakeAt = long.MaxValue;

    private PreciseTimeProvider()
    {
    }

    /// <summary>The one instance: its thread serves every timer of the process.</summary>
    public static PreciseTimeProvider Instance { get; } = new();

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new PreciseTimer(this, callback, state, ExecutionContext.Capture());
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Stopwatch ticks for a due time or period, or -1 for <see cref="Timeout.InfiniteTimeSpan"/>; throws as <see cref="Timer.Change(TimeSpan, TimeSpan)"/> does.</summary>
    private long ToTicks(TimeSpan span, string name)
    {
        if (span == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(span, Timeout.InfiniteTimeSpan, name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(span, TimeSpan.FromMilliseconds(MaxTimerMilliseconds), name);
        return Math.Max(0, (long)(span.TotalSeconds * TimestampFrequency));
    }

    /// <summary>Puts a timer in the queue at <paramref name="dueAt"/>, waking the thread when it is due before the thread would wake. Called under the gate.</summary>
    private void Schedule(PreciseTimer timer, long dueAt)
    {
        _due.Enqueue(timer, dueAt);
        if (_thread is null)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "OrleansBroker timers" };
            _thread.Start();
        }
        else if (dueAt < _wakeAt)
        {
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Takes a timer out of the queue, if it is there. Called under the gate; the queue holds the few armed timers of the process.</summary>
    private void Unschedule(PreciseTimer timer) => _due.Remove(timer, out _, out _);

    private void Run()
    {
        lock (_gate)
        {
            while (true)
            {
                var now = GetTimestamp();
                while (_due.TryPeek(out var timer, out var dueAt) && dueAt <= now)
                {
                    _due.Dequeue();
                    timer.Fire(now);
                }

                _wakeAt = _due.TryPeek(out _, out var next) ? next : long.MaxValue;
                if (_wakeAt != long.MaxValue)
                {
                    // Round up: a wait that ends early only loops, one that rounds down to 0 would spin.
                    var milliseconds = Math.Ceiling((next - now) * 1000.0 / TimestampFrequency);
                    Monitor.Wait(_gate, (int)Math.Min(milliseconds, int.MaxValue));
                }
                else
                {
                    Monitor.Wait(_gate);
                }
            }
        }
    }

    /// <summary>One timer. Its state is guarded by the provider's gate.</summary>
    private sealed class PreciseTimer(PreciseTimeProvider owner, TimerCallback callback, object? state, ExecutionContext? context)
        : ITimer, IThreadPoolWorkItem
    {
        private long _period = -1;
        private bool _scheduled;
        private bool _disposed;
        private int _running;
        private TaskCompletionSource? _stopped;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var due = owner.ToTicks(dueTime, nameof(dueTime));
            var every = owner.ToTicks(period, nameof(period));
            lock (owner._gate)
            {
                if (_disposed)
                {
                    return false;
                }

                Disarm();

                // As for System.Threading.Timer, a period of 0 or infinite fires once.
                _period = every > 0 ? every : -1;
                if (due >= 0)
                {
                    _scheduled = true;
                    owner.Schedule(this, owner.GetTimestamp() + due);
                }

                return true;
            }
        }

        /// <summary>Hands the callback to the thread pool and, for a periodic timer, schedules the next time. Called under the gate.</summary>
        public void Fire(long now)
        {
            _scheduled = false;
            _running++;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            if (_period > 0)
            {
                _scheduled = true;
                owner.Schedule(this, now + _period);
            }
        }

        public void Execute()
        {
            try
            {
                if (context is null)
                {
                    Invoke();
                }
                else
                {
                    ExecutionContext.Run(context, static self => ((PreciseTimer)self!).Invoke(), this);
                }
            }
            finally
            {
                lock (owner._gate)
                {
                    if (--_running == 0)
                    {
                        _stopped?.TrySetResult();
                    }
                }
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                _disposed = true;
                Disarm();
            }
        }

        /// <summary>Stops the timer and completes once no callback of it runs any more.</summary>
        public ValueTask DisposeAsync()
        {
            lock (owner._gate)
            {
                _disposed = true;
                Disarm();
                if (_running == 0)
                {
                    return ValueTask.CompletedTask;
                }

                _stopped ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return new ValueTask(_stopped.Task);
            }
        }

        private void Invoke() => callback(state);

        private void Disarm()
        {
            if (_scheduled)
            {
                owner.Unschedule(this);
                _scheduled = false;
            }
        }
    }
}
