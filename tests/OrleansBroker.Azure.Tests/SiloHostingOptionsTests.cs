using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Clustering.AzureStorage;
using Orleans.Configuration;
using Orleans.Hosting.Kubernetes;
using OrleansBroker.Silo;

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
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Broker:Membership:ProbeTimeout"] = "00:00:02",
                ["Broker:Membership:NumMissedProbesLimit"] = "2",
            })
            .Build();
        var options = configuration.GetSection("Broker").Get<SiloHostingOptions>()!;
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
}
