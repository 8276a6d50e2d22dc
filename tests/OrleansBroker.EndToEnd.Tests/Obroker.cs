using System.Diagnostics;
using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>Runs the built obroker as a process.</summary>
internal static class Obroker
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public static Task<ObrokerResult> RunAsync(string broker, params string[] args) => RunWithInputAsync(broker, null, args);

    /// <summary>Runs obroker against <paramref name="broker"/> with <paramref name="stdin"/> as its standard input (empty when null).</summary>
    public static async Task<ObrokerResult> RunWithInputAsync(string broker, string? stdin, params string[] args)
    {
        using var process = Start(broker, args);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(RunTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin.AsMemory(), timeout.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            return new ObrokerResult(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"obroker {string.Join(' ', args)} did not exit within {RunTimeout}.");
        }
    }

    /// <summary>A new topic named after <paramref name="prefix"/> with <paramref name="records"/> records from <c>bench produce</c>, for a reading bench.</summary>
    public static async Task<string> BenchTopicAsync(string broker, string prefix, int records, int partitions)
    {
        var topic = $"{prefix}-{Guid.NewGuid():N}";
        var produce = await RunAsync(broker, "bench", "produce", topic, "--records", records.ToString(CultureInfo.InvariantCulture), "--partitions", partitions.ToString(CultureInfo.InvariantCulture));
        Assert.True(produce.ExitCode == 0, produce.ToString());
        return topic;
    }

    /// <summary>Starts obroker with redirected standard streams; the caller reads them and waits for its exit.</summary>
    public static Process Start(string broker, params string[] args)
    {
        var startInfo = new ProcessStartInfo(BuildOutputs.DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(BuildOutputs.CliDll);
        startInfo.ArgumentList.Add("--broker");
        startInfo.ArgumentList.Add(broker);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment.Remove("OBROKER_BROKER");
        return Process.Start(startInfo) ?? throw new InvalidOperationException("obroker did not start.");
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    public static void Interrupt(Process process) => Signals.Send(process, Signals.Interrupt);
}
