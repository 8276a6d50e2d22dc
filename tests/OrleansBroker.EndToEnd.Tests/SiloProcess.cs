using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>
/// The real silo as a process on a data directory and three ports (silo, gateway, management), with any further
/// settings on its command line. It can be killed hard or stopped with SIGTERM, and started again on the same
/// directory, ports and settings, as a crashed or redeployed broker would be restarted.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);

    // Well above the host's shutdown timeout (30 s), so a slow shutdown fails with the silo's own complaint in its log.
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private const int KeptLogLines = 200;

    private readonly string _dataDirectory;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    /// <param name="dataDirectory">The silo's data directory and working directory.</param>
    /// <param name="settings">More configuration, as <c>Broker:Storage</c> = <c>Azure</c>; passed as <c>--Broker:Storage Azure</c>.</param>
    public SiloProcess(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        _dataDirectory = dataDirectory;
        _settings = settings ?? new Dictionary<string, string>();
        var ports = FreePorts.Take(3);
        GatewayPort = ports[0];
        SiloPort = ports[1];
        ManagementPort = ports[2];
    }

    public int GatewayPort { get; }

    /// <summary>The HTTP port of health checks, metrics and the dashboard (on loopback, as the silo uses localhost clustering).</summary>
    public int ManagementPort { get; }

    /// <summary>The silo-to-silo port, which with the address names the silo in the cluster's membership.</summary>
    public int SiloPort { get; }

    /// <summary>The gateway as obroker's --broker takes it.</summary>
    public string Broker => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{GatewayPort}");

    /// <summary>The silo's latest output, for failure messages.</summary>
    public string RecentLog => string.Join(Environment.NewLine, _log);

    /// <summary>Starts the silo and waits until its gateway accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("The silo is already running.");
        }

        var startInfo = new ProcessStartInfo(BuildOutputs.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dataDirectory,
        };
        string[] args =
        [
            BuildOutputs.SiloDll,
            "--Broker:DataDirectory", _dataDirectory,
            "--Broker:GatewayPort", GatewayPort.ToString(CultureInfo.InvariantCulture),
            "--Broker:SiloPort", SiloPort.ToString(CultureInfo.InvariantCulture),
            "--Broker:ManagementPort", ManagementPort.ToString(CultureInfo.InvariantCulture),
            .. _settings.SelectMany(setting => new[] { "--" + setting.Key, setting.Value }),
        ];
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await Listening.WaitAsync(process, "The silo", GatewayPort, StartTimeout, () => Environment.NewLine + RecentLog, cancellationToken);
    }

    /// <summary>Kills the silo and its children at once, with no chance to flush or shut down.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>
    /// Sends SIGTERM, as a service manager or Kubernetes does, and waits until the silo has shut down on its own.
    /// Returns its exit code; a silo that does not exit in time is killed and the call throws.
    /// </summary>
    public async Task<int> StopAsync(CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException("The silo is not running.");
        _process = null;
        try
        {
            Signals.Send(process, Signals.Terminate);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StopTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The silo did not exit within {StopTimeout} of SIGTERM:{Environment.NewLine}{RecentLog}");
            }

            return process.ExitCode;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > KeptLogLines)
        {
            _log.TryDequeue(out _);
        }
    }
}
