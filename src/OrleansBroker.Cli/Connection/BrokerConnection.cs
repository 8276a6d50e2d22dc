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

    private readonly IHost _host;

    private BrokerConnection(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<BrokerClient>();
    }

    public static Option<string> BrokerOption { get; } = CreateBrokerOption();

    public BrokerClient Client { get; }

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

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // Orleans and the host log each failed connection attempt and the failed start; the one-line error below says it once.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Logging.AddFilter("Orleans.Messaging", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.OutsideRuntimeClient", LogLevel.Error);
        builder.UseOrleansClient(client =>
        {
            var started = Stopwatch.GetTimestamp();
            client.UseStaticClustering(address)
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
                .AddOrleansBrokerClient();
        });

        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new BrokerUnreachableException($"cannot reach the broker at {endpoint}: {exception.Message}", exception);
        }

        return new BrokerConnection(host);
    }

    public async ValueTask DisposeAsync()
    {
        // A broker that went away must not keep the tool from exiting.
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _host.StopAsync(stopping.Token);
        }
        finally
        {
            _host.Dispose();
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
