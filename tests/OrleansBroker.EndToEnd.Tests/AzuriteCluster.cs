using System.Diagnostics;
using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansBroker.Azure.Tests;
using OrleansBroker.Client;
using OrleansBroker.Client.Hosting;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>
/// Silo processes on loopback that form one cluster through Azurite (AzureTable clustering, partition logs in append
/// blobs, metadata in a table, under names of their own), and an Orleans client in the test process that finds their
/// gateways in the membership table. Failure detection is tuned down through <c>Broker:Membership</c>, so a killed
/// silo is declared dead in seconds.
/// </summary>
internal sealed class AzuriteCluster : IAsyncDisposable
{
    private const string ClusterId = "orleans-broker";

    // A probe about every 1.5 s (Orleans adapts the period between half and four times the timeout): a killed silo is
    // voted dead after three missed probes, about 10 s. Two missed 2 s probes were too few: on a loaded two-core CI
    // machine a silo restarted in a rolling restart was once voted dead while it started, and killed itself.
    private const string ProbeTimeout = "00:00:03";
    private const string MissedProbesLimit = "3";

    // A call forwarded to a silo that is then killed gets no answer at all: the client gives up on it after this long
    // and the producer or consumer retries it, instead of waiting out the default 30 s.
    private static readonly TimeSpan ClientResponseTimeout = TimeSpan.FromSeconds(10);

    // The client finds gateways in the membership table, where a silo shutting down is no longer one. A gateway that
    // told the client to stop using it stays avoided for this long, and a restarted one is found within it: it must be
    // shorter than a step of a rolling restart, or the client, finding every gateway avoided, goes back to all of them,
    // the stopping one included, and its answers get lost (Orleans' default is one minute).
    private static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MembershipTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _connectionString;
    private readonly string _container;
    private readonly string _metadataTable;
    private readonly string _clusteringTable;
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("obroker-cluster-");
    private IHost? _client;

    private AzuriteCluster(string connectionString, int size)
    {
        _connectionString = connectionString;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        _container = "cluster-" + suffix;
        _metadataTable = "meta" + suffix;
        _clusteringTable = "members" + suffix;
        var settings = new Dictionary<string, string>
        {
            ["Broker:ClusterId"] = ClusterId,
            ["Broker:Clustering"] = "AzureTable",
            ["Broker:Storage"] = "Azure",
            ["Broker:AdvertisedAddress"] = IPAddress.Loopback.ToString(),
            ["Broker:Azure:ConnectionString"] = connectionString,
            ["Broker:Azure:LogContainerName"] = _container,
            ["Broker:Azure:MetadataTableName"] = _metadataTable,
            ["Broker:Azure:ClusteringTableName"] = _clusteringTable,
            ["Broker:Membership:ProbeTimeout"] = ProbeTimeout,
            ["Broker:Membership:NumMissedProbesLimit"] = MissedProbesLimit,
        };
        Silos = [.. Enumerable.Range(0, size).Select(i => new SiloProcess(_root.CreateSubdirectory(i.ToString(CultureInfo.InvariantCulture)).FullName, settings))];
    }

    public IReadOnlyList<SiloProcess> Silos { get; }

    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>() ?? throw new InvalidOperationException("The client is not connected.");

    public BrokerClient Broker => _client?.Services.GetRequiredService<BrokerClient>() ?? throw new InvalidOperationException("The client is not connected.");

    /// <summary>The latest output of every silo, for failure messages.</summary>
    public string RecentLogs => string.Join(
        Environment.NewLine,
        Silos.Select((silo, i) => $"--- silo {i} (silo port {silo.SiloPort}, gateway {silo.GatewayPort}) ---{Environment.NewLine}{silo.RecentLog}"));

    /// <summary>Starts <paramref name="size"/> silos on Azurite (<c>OBROKER_AZURITE</c>), connects the client and waits until every silo is active.</summary>
    public static async Task<AzuriteCluster> StartAsync(int size, CancellationToken cancellationToken)
    {
        var cluster = new AzuriteCluster(Azurite.ConnectionString, size);
        try
        {
            await Task.WhenAll(cluster.Silos.Select(silo => silo.StartAsync(cancellationToken)));
            await cluster.ConnectAsync(cancellationToken);
            foreach (var silo in cluster.Silos)
            {
                await cluster.WaitUntilActiveAsync(silo, cancellationToken);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Waits until the membership holds <paramref name="silo"/> as active, and returns the address it is known by there.</summary>
    public Task<SiloAddress> WaitUntilActiveAsync(SiloProcess silo, CancellationToken cancellationToken) =>
        PollMembershipAsync(
            hosts => hosts.Where(h => h.Value == SiloStatus.Active && h.Key.Endpoint.Port == silo.SiloPort).Select(h => h.Key).FirstOrDefault(),
            $"silo port {silo.SiloPort} to become active",
            cancellationToken);

    /// <summary>Waits until the membership declares the silo at <paramref name="address"/> dead.</summary>
    public Task WaitUntilDeadAsync(SiloAddress address, CancellationToken cancellationToken) =>
        PollMembershipAsync(
            hosts => hosts.TryGetValue(address, out var status) && status == SiloStatus.Dead ? address : null,
            $"{address} to be declared dead",
            cancellationToken);

    /// <summary>The silo that hosts the activation of each given grain key, as far as the cluster knows now.</summary>
    public async Task<Dictionary<string, SiloProcess>> HostsOfAsync(IEnumerable<string> grainKeys, CancellationToken cancellationToken)
    {
        var keys = grainKeys.ToHashSet(StringComparer.Ordinal);
        var statistics = await Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(null, null, cancellationToken);
        return statistics
            .Where(s => keys.Contains(s.GrainId.Key.ToString()!))
            .ToDictionary(s => s.GrainId.Key.ToString()!, s => Silos.Single(silo => silo.SiloPort == s.SiloAddress.Endpoint.Port), StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is { } client)
        {
            // A cluster that went away must not keep the test from ending.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.StopAsync(stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            client.Dispose();
        }

        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }

        _root.Delete(recursive: true);
        await new BlobContainerClient(_connectionString, _container).DeleteIfExistsAsync();
        var tables = new TableServiceClient(_connectionString);
        await tables.DeleteTableAsync(_metadataTable);
        await tables.DeleteTableAsync(_clusteringTable);
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.UseOrleansClient(client => client
            .UseAzureStorageClustering(options =>
            {
                options.TableServiceClient = new TableServiceClient(_connectionString);
                options.TableName = _clusteringTable;
            })
            .Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = GatewayListRefreshPeriod)
            .Configure<ClusterOptions>(options => (options.ClusterId, options.ServiceId) = (ClusterId, ClusterId))
            .Configure<ClientMessagingOptions>(options => options.ResponseTimeout = ClientResponseTimeout)
            .AddOrleansBrokerClient());
        _client = builder.Build();
        await _client.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Asks the membership (through the management grain, on whichever silo answers) until <paramref name="found"/> returns
    /// a silo. The silos change state on their own schedule, so this polls, up to a deadline.
    /// </summary>
    private async Task<SiloAddress> PollMembershipAsync(Func<Dictionary<SiloAddress, SiloStatus>, SiloAddress?> found, string what, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                if (found(await Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false, cancellationToken)) is { } address)
                {
                    return address;
                }
            }
            catch (Exception exception) when (exception is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException)
            {
                // The silo that answered for the management grain is the one going away: ask again.
            }

            if (Stopwatch.GetElapsedTime(started) > MembershipTimeout)
            {
                throw new TimeoutException($"Waited {MembershipTimeout} for {what}.{Environment.NewLine}{RecentLogs}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }
}
