using System.Diagnostics;
using System.Globalization;

namespace OrleansBroker.Cli.Bench;

/// <summary>Rewrites one line on standard error each second with the records done so far and the current rate.</summary>
internal sealed class ProgressDisplay : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly string _label;
    private readonly Func<long> _count;
    private readonly int _recordSize;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    // Redirected output gets whole lines, so a log file is not one long line of carriage returns.
    private readonly bool _interactive = !Console.IsErrorRedirected;

    private ProgressDisplay(string label, Func<long> count, int recordSize)
    {
        _label = label;
        _count = count;
        _recordSize = recordSize;
        _loop = RunAsync();
    }

    public static ProgressDisplay Start(string label, Func<long> count, int recordSize) => new(label, count, recordSize);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        if (_interactive)
        {
            await Console.Error.WriteLineAsync();
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        var started = Stopwatch.GetTimestamp();
        var last = 0L;
        var lastAt = started;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = Stopwatch.GetTimestamp();
                var count = _count();
                var rate = (count - last) / Stopwatch.GetElapsedTime(lastAt, now).TotalSeconds;
                var line = string.Create(
                    CultureInfo.InvariantCulture,
                    $"{_label}: {Stopwatch.GetElapsedTime(started, now).TotalSeconds,5:F0} s  {count,12:N0} records  {rate,12:N0} rec/s  {rate * _recordSize / 1_000_000,8:F1} MB/s");
                await Console.Error.WriteAsync(_interactive ? $"\r{line}" : $"{line}{Environment.NewLine}");
                (last, lastAt) = (count, now);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: the bench is over.
        }
    }
}
