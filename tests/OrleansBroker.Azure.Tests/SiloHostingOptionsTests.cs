using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Clustering.AzureStorage;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Silo;
using OrleansBroker.Storage;

namespace OrleansBroker.Azure.Tests;

public sealed class SiloHostingOptionsTests
{
    [Theory]
    [InlineData("Azure", "Localhost")]
    [InlineData("File", "AzureTable")]
    [InlineData("File", "Kubernetes")]
    public void Azure_storage_or_table_clustering_without_a_connection_string_is_refused_before_the_silo_starts(string storage, string clustering)
    {
        var options = new SiloHostingOptions { Storage = Enum.Parse<StorageMode>(storage), Clustering = Enum.Parse<ClusteringMode>(clustering) };

        var refused = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains("Broker:Azure:ConnectionString", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Direct_IO_with_azure_storage_is_refused_before_the_silo_starts()
    {
        var options = BindAzureStorage(new() { ["Broker:DirectIO"] = "true" });

        var refused = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains("Broker:DirectIO applies to File storage only", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_defaults_and_azurite_settings_are_accepted()
    {
        new SiloHostingOptions().Validate();
        new SiloHostingOptions
        {
            Storage = StorageMode.Azure,
            Clustering = ClusteringMode.AzureTable,
            AdvertisedAddress = "127.0.0.1",
            Azure = new AzureStorageSettings { ConnectionString = "UseDevelopmentStorage=true" },
        }.Validate();
    }

    [Fact]
    public void Kubernetes_clustering_keeps_membership_in_the_azure_table_and_adds_the_pod_watcher()
    {
        var options = new SiloHostingOptions
        {
            Clustering = ClusteringMode.Kubernetes,
            SiloPort = 11112,
            GatewayPort = 30001,
            AdvertisedAddress = "10.1.2.3",
            ClusterId = "on-kubernetes",
            Azure = new AzureStorageSettings { ConnectionString = "UseDevelopmentStorage=true", ClusteringTableName = "PodsCluster" },
        };
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        builder.UseOrleans(options.ConfigureClustering);
        using var host = builder.Build();

        var endpoints = host.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(IPAddress.Parse("10.1.2.3"), endpoints.AdvertisedIPAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 11112), endpoints.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 30001), endpoints.GatewayListeningEndpoint);
        Assert.Equal(("on-kubernetes", "on-kubernetes"), (cluster.ClusterId, cluster.ServiceId));
        Assert.Equal("PodsCluster", host.Services.GetRequiredService<IOptions<AzureStorageClusteringOptions>>().Value.TableName);
        Assert.Equal("AzureBasedMembershipTable", host.Services.GetRequiredService<IMembershipTable>().GetType().Name);
        Assert.Contains(builder.Services, service => service.ImplementationType == typeof(KubernetesClusterAgent));
    }

    [Fact]
    public void Failure_detection_settings_bind_from_the_broker_section_and_reach_orleans_membership()
    {
        var options = Bind(new()
        {
            ["Broker:Membership:ProbeTimeout"] = "00:00:02",
            ["Broker:Membership:NumMissedProbesLimit"] = "2",
        });
        var membership = new ClusterMembershipOptions();

        options.Validate();
        options.Membership.ApplyTo(membership);

        Assert.Equal((TimeSpan.FromSeconds(2), 2), (membership.ProbeTimeout, membership.NumMissedProbesLimit));
    }

    [Fact]
    public void Failure_detection_defaults_are_orleans_own()
    {
        var membership = new ClusterMembershipOptions();
        var expected = (membership.ProbeTimeout, membership.NumMissedProbesLimit);

        new SiloHostingOptions().Membership.ApplyTo(membership);

        Assert.Equal(expected, (membership.ProbeTimeout, membership.NumMissedProbesLimit));
    }

    [Theory]
    [InlineData("00:00:00", 3, "Broker:Membership:ProbeTimeout")]
    [InlineData("00:05:00", 3, "Broker:Membership:ProbeTimeout")]
    [InlineData("00:00:02", 0, "Broker:Membership:NumMissedProbesLimit")]
    public void Failure_detection_settings_out_of_range_are_refused_before_the_silo_starts(string probeTimeout, int missedProbes, string setting)
    {
        var options = new SiloHostingOptions
        {
            Membership = new MembershipSettings { ProbeTimeout = TimeSpan.Parse(probeTimeout, CultureInfo.InvariantCulture), NumMissedProbesLimit = missedProbes },
        };

        var refused = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains(setting, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_store_retry_settings_bind_from_the_broker_section_and_reach_the_blob_client_of_the_silo_log_store()
    {
        var options = BindAzureStorage(new()
        {
            ["Broker:Azure:LogMaxRetries"] = "7",
            ["Broker:Azure:LogRetryDelay"] = "00:00:00.25",
            ["Broker:Azure:LogNetworkTimeout"] = "00:00:12",
        });
        options.Validate();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        builder.UseOrleans(silo =>
        {
            options.ConfigureStorage(silo);
            silo.AddOrleansBroker();
        });
        using var host = builder.Build();

        var store = Assert.IsType<AzureBlobLogStore>(host.Services.GetRequiredService<ILogStore>());
        var retry = store.Options.ClientOptions.Retry;
        Assert.Equal((7, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(12)), (retry.MaxRetries, retry.Delay, retry.NetworkTimeout));
    }

    [Fact]
    public void Log_store_retry_defaults_are_the_log_store_own()
    {
        var expected = new AzureBlobLogStoreOptions().ClientOptions.Retry;
        var applied = new AzureBlobLogStoreOptions();

        new SiloHostingOptions().Azure.ApplyTo(applied.ClientOptions);

        var retry = applied.ClientOptions.Retry;
        Assert.Equal((expected.MaxRetries, expected.Delay, expected.NetworkTimeout), (retry.MaxRetries, retry.Delay, retry.NetworkTimeout));
    }

    [Theory]
    [InlineData(-1, "00:00:00.8", "00:00:05", "Broker:Azure:LogMaxRetries")]
    [InlineData(3, "-00:00:01", "00:00:05", "Broker:Azure:LogRetryDelay")]
    [InlineData(3, "00:00:00.8", "00:00:00", "Broker:Azure:LogNetworkTimeout")]
    [InlineData(3, "00:00:00.8", "-00:00:05", "Broker:Azure:LogNetworkTimeout")]
    public void Log_store_retry_settings_out_of_range_are_refused_before_the_silo_starts(int maxRetries, string retryDelay, string networkTimeout, string setting)
    {
        var options = new SiloHostingOptions
        {
            Azure = new AzureStorageSettings
            {
                LogMaxRetries = maxRetries,
                LogRetryDelay = TimeSpan.Parse(retryDelay, CultureInfo.InvariantCulture),
                LogNetworkTimeout = TimeSpan.Parse(networkTimeout, CultureInfo.InvariantCulture),
            },
        };

        var refused = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains(setting, refused.Message, StringComparison.Ordinal);
        Assert.Single(refused.Failures);
    }

    /// <summary>Binds the settings on top of Azure storage on Azurite.</summary>
    private static SiloHostingOptions BindAzureStorage(Dictionary<string, string?> settings)
    {
        settings["Broker:Storage"] = "Azure";
        settings["Broker:Azure:ConnectionString"] = "UseDevelopmentStorage=true";
        return Bind(settings);
    }

    /// <summary>The silo's settings as it binds them from its configuration's <c>Broker</c> section.</summary>
    private static SiloHostingOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Broker").Get<SiloHostingOptions>()!;
}
