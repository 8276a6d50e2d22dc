using System.Diagnostics;
using OrleansBroker.Client;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Grains.Tests.Timing;

public sealed class PreciseTimeProviderTests
{
    private static readonly TimeProvider Timers = PreciseTimeProvider.Instance;

    // How long a test watches for a callback that must not come: many times the due times used here.
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task A_timer_fires_once_and_not_before_its_due_time()
    {
        var fired = new FiredLog();
        var started = Stopwatch.GetTimestamp();
        await using var timer = Timers.CreateTimer(fired.Callback, "state", TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);

        var first = await fired.NextAsync();
        await Task.Delay(Quiet, TestContext.Current.CancellationToken);

        Assert.True(Stopwatch.GetElapsedTime(started, first.At) >= TimeSpan.FromMilliseconds(30));
        Assert.Equal("state", first.State);
        Assert.Equal(1, fired.Count);
    }

    [Fact]
    public async Task Changing_a_far_timer_to_a_near_due_time_wakes_the_timer_thread()
    {
        var fired = new FiredLog();
        await using var far = Timers.CreateTimer(fired.Callback, "far", TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
        await using var other = Timers.CreateTimer(fired.Callback, "other", TimeSpan.FromHours(2), Timeout.InfiniteTimeSpan);

        Assert.True(far.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan));

        Assert.Equal("far", (await fired.NextAsync()).State);
    }

    [Fact]
    public async Task A_disarmed_or_disposed_timer_does_not_fire_and_a_disposed_one_cannot_be_changed()
    {
        var fired = new FiredLog();
        await using var disarmed = Timers.CreateTimer(fired.Callback, null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        var disposed = Timers.CreateTimer(fired.Callback, null, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20));

        Assert.True(disarmed.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        disposed.Dispose();
        await Task.Delay(Quiet, TestContext.Current.CancellationToken);

        Assert.Equal(0, fired.Count);
        Assert.False(disposed.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public async Task A_periodic_timer_fires_until_disposed()
    {
        var fired = new FiredLog();
        var timer = Timers.CreateTimer(fired.Callback, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(5));
        for (var i = 0; i < 3; i++)
        {
            await fired.NextAsync();
        }

        await timer.DisposeAsync();
        var afterDispose = fired.Count;
        await Task.Delay(Quiet, TestContext.Current.CancellationToken);

        Assert.Equal(afterDispose, fired.Count);
    }

    [Fact]
    public async Task DisposeAsync_completes_only_once_the_running_callback_returns()
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        var timer = Timers.CreateTimer(
            _ =>
            {
                entered.Release();
                release.Wait();
            },
            null,
            TimeSpan.Zero,
            Timeout.InfiniteTimeSpan);
        Assert.True(await entered.WaitAsync(Patience.Records, TestContext.Current.CancellationToken));

        var disposing = timer.DisposeAsync().AsTask();
        await Task.Delay(Quiet, TestContext.Current.CancellationToken);
        Assert.False(disposing.IsCompleted);

        release.Set();
        await disposing.WaitAsync(Patience.Records, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Callbacks_run_in_the_execution_context_of_the_timers_creator_and_Task_Delay_waits_its_time()
    {
        var flowing = new AsyncLocal<string> { Value = "creator" };
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var timer = Timers.CreateTimer(_ => seen.TrySetResult(flowing.Value), null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        var started = Stopwatch.GetTimestamp();

        await Task.Delay(TimeSpan.FromMilliseconds(25), Timers, TestContext.Current.CancellationToken);

        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(25));
        Assert.Equal("creator", await seen.Task.WaitAsync(Patience.Records, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(-2.0, 0.0)]
    [InlineData(0.0, -2.0)]
    [InlineData(4_294_967_295.0, 0.0)]
    public void Due_times_and_periods_out_of_a_timers_range_are_refused(double dueMilliseconds, double periodMilliseconds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Timers.CreateTimer(_ => { }, null, TimeSpan.FromMilliseconds(dueMilliseconds), TimeSpan.FromMilliseconds(periodMilliseconds)));
    }

    /// <summary>The callbacks a test's timers made, in order, with the time each ran.</summary>
    private sealed class FiredLog
    {
        private readonly System.Threading.Channels.Channel<(object? State, long At)> _fired =
            System.Threading.Channels.Channel.CreateUnbounded<(object? State, long At)>();

        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Callback(object? state)
        {
            Interlocked.Increment(ref _count);
            _fired.Writer.TryWrite((state, Stopwatch.GetTimestamp()));
        }

        public async Task<(object? State, long At)> NextAsync() =>
            await _fired.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience.Records);
    }
}
