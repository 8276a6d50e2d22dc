using Microsoft.Extensions.Options;
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
}
