using System.CommandLine;
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansBroker.Client;
using OrleansBroker.Client.Hosting;

namespace OrleansBroker.Cli.Connection;

/// <summary>An Orleans client connected to the broker's gateway, with the typed broker client on top.</summary>
internal sealed class BrokerConnection : IAsyncDisposable
{
    public const string DefaultBroker = "localhost:30000";
    public const string BrokerEnvironmentVariable = "OBROKER_BROKER";

    // The silo's ClusterId and ServiceId (Silo/SiloHostingOptions.cs); a client with other ids is turned away.
    private const string ClusterId = "orleans-broker";

    // Orleans retries a failed first connection for as long as the filter says; a CLI should answer in seconds.
    private static readonly TimeSpan ConnectWindow = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ConnectRetryPause = TimeSpan.FromMilliseconds(250);

    private readonly ServiceProvider _provider;
    private readonly IHostedService[] _services;

    private BrokerConnection(ServiceProvider provider)
    {
        _provider = provider;
        _services = [.. provider.GetServices<IHostedService>()];
        Client = provider.GetRequiredService<BrokerClient>();
        GrainFactory = provider.GetRequiredService<IClusterClient>();
    }

    public static Option<string> BrokerOption { get; } = CreateBrokerOption();

    public BrokerClient Client { get; }

    /// <summary>The grains themselves, for diagnostics that bypass the broker client (<c>bench transport</c>).</summary>
    public IGrainFactory GrainFactory { get; }

    /// <summary>Connects, or throws <see cref="BrokerUnreachableException"/> within a few seconds.</summary>
    public static async Task<BrokerConnection> ConnectAsync(string broker, CancellationToken cancellationToken)
    {
        if (!BrokerEndpoint.TryParse(broker, out var endpoint))
        {
            throw new ArgumentException($"'{broker}' is not of the form host:port.", nameof(broker));
        }

        System.Net.IPEndPoint address;
        try
        {
            address = await endpoint.ResolveAsync(cancellationToken);
        }
        catch (SocketException exception)
        {
            throw new BrokerUnreachableException($"cannot resolve broker host '{endpoint.Host}': {exception.Message}", exception);
        }

        // A bare service provider, not a generic host: a host's console lifetime would swallow Ctrl+C and SIGTERM,
        // which the commands handle themselves (a consumer commits what it printed, then exits).
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
            logging.SetMinimumLevel(LogLevel.Warning);

            // Orleans logs each failed connection attempt; the one-line error below says it once.
            logging.AddFilter("Orleans.Messaging", LogLevel.Error);
            logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.Error);
            logging.AddFilter("Orleans.OutsideRuntimeClient", LogLevel.Error);
        });
        var started = Stopwatch.GetTimestamp();
        services.AddOrleansClient(client => client
            .UseStaticClustering(address)
            .Configure<ClusterOptions>(options =>
            {
                options.ClusterId = ClusterId;
                options.ServiceId = ClusterId;
            })
            .Configure<ConnectionOptions>(options => options.OpenConnectionTimeout = ConnectWindow)
            .UseConnectionRetryFilter(async (_, ct) =>
            {
                if (Stopwatch.GetElapsedTime(started) + ConnectRetryPause >= ConnectWindow)
                {
                    return false;
                }

                await Task.Delay(ConnectRetryPause, ct);
                return true;
            })
            .AddOrleansBrokerClient());

        var provider = services.BuildServiceProvider();
        var connection = new BrokerConnection(provider);
        try
        {
            foreach (var service in connection._services)
            {
                await service.StartAsync(cancellationToken);
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            await provider.DisposeAsync();
            throw new BrokerUnreachableException($"cannot reach the broker at {endpoint}: {exception.Message}", exception);
        }

        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        // A broker that went away must not keep the tool from exiting.
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            foreach (var service in _services.Reverse())
            {
                await service.StopAsync(stopping.Token);
            }
        }
        finally
        {
            await _provider.DisposeAsync();
        }
    }

    private static Option<string> CreateBrokerOption()
    {
        var option = new Option<string>("--broker", "-b")
        {
            Description = $"The broker's gateway as host:port (also ${BrokerEnvironmentVariable}).",
            HelpName = "host:port",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(BrokerEnvironmentVariable) is { Length: > 0 } fromEnvironment
                ? fromEnvironment
                : DefaultBroker,
        };
        option.Validators.Add(result =>
        {
            if (!BrokerEndpoint.TryParse(result.GetValueOrDefault<string>(), out _))
            {
                result.AddError($"--broker must be host:port, not '{result.GetValueOrDefault<string>()}'.");
            }
        });
        return option;
    }
}
