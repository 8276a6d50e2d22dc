using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>
/// The real silo as a process on a data directory and three ports (silo, gateway, management). It can be killed
/// hard and started again on the same directory and ports, as a crashed broker would be restarted.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private const int KeptLogLines = 200;

    private readonly string _dataDirectory;
    private readonly string[] _settings;
    private readonly int _siloPort;
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _process;

    /// <param name="dataDirectory">The data directory, also the working directory.</param>
    /// <param name="settings">More command-line settings, such as <c>--Broker:Dashboard true</c>.</param>
    public SiloProcess(string dataDirectory, params string[] settings)
    {
        _dataDirectory = dataDirectory;
        _settings = settings;
        var ports = FreePorts.Take(3);
        GatewayPort = ports[0];
        _siloPort = ports[1];
        ManagementPort = ports[2];
    }

    public int GatewayPort { get; }

    /// <summary>The HTTP port of health checks, metrics and the dashboard (on loopback, as the silo uses localhost clustering).</summary>
    public int ManagementPort { get; }

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
            "--Broker:SiloPort", _siloPort.ToString(CultureInfo.InvariantCulture),
            "--Broker:ManagementPort", ManagementPort.ToString(CultureInfo.InvariantCulture),
            .. _settings,
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
        await WaitForGatewayAsync(process, cancellationToken);
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

    public async ValueTask DisposeAsync() => await KillAsync();

    private async Task WaitForGatewayAsync(Process process, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The silo exited with {process.ExitCode} while starting:{Environment.NewLine}{RecentLog}");
            }

            if (Stopwatch.GetElapsedTime(started) > StartTimeout)
            {
                throw new TimeoutException($"The silo's gateway did not answer within {StartTimeout}:{Environment.NewLine}{RecentLog}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, GatewayPort, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                // Not listening yet: a process has no readiness signal of its own, so poll.
                await Task.Delay(PollInterval, cancellationToken);
            }
        }
    }

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
