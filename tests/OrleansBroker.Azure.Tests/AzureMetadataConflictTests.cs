using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using OrleansBroker.Grains;
using OrleansBroker.Grains.State;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// A silo on Azurite whose metadata table another writer changed: the grain answers the broker's retriable StorageError,
/// not the Table provider's own exception, which clients (without Orleans.Persistence.AzureStorage) could not decode.
/// </summary>
public sealed class AzureMetadataConflictTests(ITestOutputHelper output) : AzureBrokerCluster(silos: 1)
{
    [Fact]
    public async Task Creating_a_topic_whose_row_another_writer_stored_is_refused_retriably_and_the_retry_creates_it()
    {
        var topic = "conflict-" + Suffix;
        var grain = Cluster.Client.GetGrain<ITopicGrain>(topic);
        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(grain.GetMetadataAsync);

        // Another writer (a second activation during a handover, say) stores the topic's row behind the activation's back.
        var storage = Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(BrokerStorage.MetadataStorageName);
        await storage.WriteStateAsync("topic", grain.GetGrainId(), new GrainState<TopicState>(new TopicState()));

        var refused = await Assert.ThrowsAsync<StorageErrorException>(() => Broker.Admin.CreateTopicAsync(topic));
        output.WriteLine(refused.Message);
        await Broker.Admin.CreateTopicAsync(topic);

        Assert.True(refused.IsRetriable);
        Assert.Single((await Broker.Admin.DescribeTopicAsync(topic)).Partitions);
    }
}
