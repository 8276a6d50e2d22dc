using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansBroker.Silo;

namespace OrleansBroker.Azure.Tests;

public sealed class SiloHostingOptionsTests
{
    [Theory]
    [InlineData("Azure", "Localhost")]
    [InlineData("File", "AzureTable")]
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
