using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using OrleansBroker.EndToEnd.Tests;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// An Azurite blob service of one test's own, on a free loopback port and a temporary data folder, that the test stops
/// and starts again on the same data. It runs the tools/azurite package that .ci/run installs; without that package (or
/// node) the test skips, and fails in CI.
/// </summary>
internal sealed class AzuriteProcess : IAsyncDisposable
{
    private const string BlobService = "tools/azurite/node_modules/azurite/dist/src/blob/main.js";

    // Generous: a loaded two-core machine starts Azurite in seconds, and node's start alone can take several.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _script;
    private readonly string _location = Directory.CreateTempSubdirectory("obroker-azurite-").FullName;
    private Process? _process;

    private AzuriteProcess(string script, int port)
    {
        _script = script;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => Azurite.BlobServiceOnPort(Port);

    public static async Task<AzuriteProcess> StartNewAsync(CancellationToken cancellationToken)
    {
        var script = FindBlobService();
        if (script is null)
        {
            Azurite.Unavailable($"{BlobService} is not installed above {AppContext.BaseDirectory}: run npm ci in tools/azurite (.ci/run does).");
        }

        var azurite = new AzuriteProcess(script, FreePorts.Take(1)[0]);
        await azurite.StartAsync(cancellationToken);
        return azurite;
    }

    /// <summary>Starts Azurite on the port and data folder it had, and returns once it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("node")
        {
            ArgumentList =
            {
                _script, "--silent", "--loose", "--skipApiVersionCheck", "--disableTelemetry",
                "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(CultureInfo.InvariantCulture), "--location", _location,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process? process = null;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception missing)
        {
            Azurite.Unavailable($"node is not installed: {missing.Message}");
        }

        _process = process ?? throw new InvalidOperationException("node did not start.");

        // Read (and drop) what it prints, so that a full pipe never blocks it.
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await Listening.WaitAsync(_process, "Azurite", Port, StartTimeout, () => string.Empty, cancellationToken);
    }

    /// <summary>
    /// Stops Azurite the orderly way (SIGTERM) and waits for it to exit. It saves its blob metadata then, which it otherwise
    /// saves only every 5 s: a kill -9 can lose appends it acknowledged, which Azure Storage never does.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var process = await SignalAsync("TERM", cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(StartTimeout, cancellationToken);
        process.Dispose();
        _process = null;
    }

    /// <summary>Freezes Azurite (SIGSTOP): connections stay open and requests go unanswered, as with a hung service.</summary>
    public Task FreezeAsync(CancellationToken cancellationToken) => SignalAsync("STOP", cancellationToken);

    /// <summary>Lets a frozen Azurite go on (SIGCONT): it then carries out the requests that reached it meanwhile.</summary>
    public Task ThawAsync(CancellationToken cancellationToken) => SignalAsync("CONT", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }

        Directory.Delete(_location, recursive: true);
    }

    private async Task<Process> SignalAsync(string signal, CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException("Azurite is not running.");
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(cancellationToken);
        return kill.ExitCode == 0 ? process : throw new InvalidOperationException($"kill -{signal} failed with code {kill.ExitCode}.");
    }

    private static string? FindBlobService()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var script = Path.Combine(directory.FullName, BlobService);
            if (File.Exists(script))
            {
                return script;
            }
        }

        return null;
    }
}
