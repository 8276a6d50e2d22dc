using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>
/// Grains whose state storage fails answer the broker's retriable StorageError, never the provider's own exception (which
/// a client may not be able to decode), and once the fault clears a retry works on an activation that read its state again.
/// </summary>
[Collection(BrokerClusterDefinition.Name)]
public sealed class StateStorageFailureTests(BrokerClusterFixture fixture)
{
    private readonly OrleansBroker.Client.BrokerAdmin _admin = fixture.Broker.Admin;

    [Fact]
    public async Task Creating_a_topic_whose_state_write_fails_is_refused_retriably_and_the_retry_creates_it()
    {
        var topic = BrokerClusterFixture.NewTopic();
        var topicGrain = fixture.Cluster.Client.GetGrain<ITopicGrain>(topic).GetGrainId();
        var config = new TopicConfig { Partitions = 2 };
        await _admin.CreateTopicAsync(topic, config);
        await _admin.DeleteTopicAsync(topic);

        StorageErrorException refused;
        using (fixture.FailStateWrites("topic", topicGrain))
        {
            refused = await Assert.ThrowsAsync<StorageErrorException>(() => _admin.CreateTopicAsync(topic, config));
        }

        await _admin.CreateTopicAsync(topic, config);

        Assert.True(refused.IsRetriable);
        Assert.Equal(2, (await _admin.DescribeTopicAsync(topic)).Partitions.Length);
        Assert.Equal(2, (await fixture.ReadStoredStateAsync<TopicState>("topic", topicGrain)).Config?.Partitions);
    }

    [Fact]
    public async Task A_topic_created_while_the_registry_cannot_store_it_is_listed_once_the_create_is_retried()
    {
        // Arrange
        var topic = BrokerClusterFixture.NewTopic();
        var registry = fixture.Cluster.Client.GetGrain<ITopicRegistryGrain>(0).GetGrainId();
        var config = new TopicConfig { Partitions = 1 };

        // The fault blocks the write after a stored state: another topic first, in case this test is the cluster's first.
        await _admin.CreateTopicAsync(BrokerClusterFixture.NewTopic(), config);
        StorageErrorException refused;
        using (fixture.FailStateWrites("registry", registry))
        {
            refused = await Assert.ThrowsAsync<StorageErrorException>(() => _admin.CreateTopicAsync(topic, config));
        }

        // Act
        var retried = await Record.ExceptionAsync(() => _admin.CreateTopicAsync(topic, config));

        // Assert
        Assert.True(refused.IsRetriable);
        Assert.IsType<TopicAlreadyExistsException>(retried);
        Assert.Contains(topic, await _admin.ListTopicsAsync());
        Assert.Contains(topic, (await fixture.ReadStoredStateAsync<TopicRegistryState>("registry", registry)).Topics);
    }

    [Fact]
    public async Task Deleting_a_topic_whose_partition_state_write_fails_is_refused_retriably_and_the_retry_deletes_it()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await _admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 2 });
        var partition = fixture.Cluster.Client.GetGrain<IPartitionGrain>(new TopicPartition(topic, 1).ToString()).GetGrainId();

        StorageErrorException refused;
        using (fixture.FailStateWrites("partition", partition))
        {
            refused = await Assert.ThrowsAsync<StorageErrorException>(() => _admin.DeleteTopicAsync(topic));
        }

        await _admin.DeleteTopicAsync(topic);

        Assert.True(refused.IsRetriable);
        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => _admin.DescribeTopicAsync(topic));
        Assert.Null((await fixture.ReadStoredStateAsync<PartitionState>("partition", partition)).Config);
    }

    [Fact]
    public async Task A_registry_whose_state_write_fails_refuses_retriably_and_stores_the_retry()
    {
        var registry = fixture.Cluster.Client.GetGrain<ITopicRegistryGrain>(0);
        var name = BrokerClusterFixture.NewTopic("unlisted");
        await registry.AddAsync(name);

        StorageErrorException refused;
        using (fixture.FailStateWrites("registry", registry.GetGrainId()))
        {
            refused = await Assert.ThrowsAsync<StorageErrorException>(() => registry.RemoveAsync(name));
        }

        await registry.RemoveAsync(name);

        Assert.True(refused.IsRetriable);
        Assert.DoesNotContain(name, await registry.ListAsync());
        Assert.DoesNotContain(name, (await fixture.ReadStoredStateAsync<TopicRegistryState>("registry", registry.GetGrainId())).Topics);
    }

    [Fact]
    public async Task A_topic_whose_state_cannot_be_read_is_refused_retriably_until_the_fault_clears()
    {
        var topic = fixture.Cluster.Client.GetGrain<ITopicGrain>(BrokerClusterFixture.NewTopic());
        var config = new TopicConfig { Partitions = 3 };
        await fixture.MetadataStorage.WriteStateAsync("topic", topic.GetGrainId(), new GrainState<TopicState>(new TopicState { Config = config }));

        StorageErrorException refused;
        using (fixture.FailStateReads("topic", topic.GetGrainId()))
        {
            refused = await Assert.ThrowsAsync<StorageErrorException>(topic.GetMetadataAsync);
        }

        Assert.True(refused.IsRetriable);
        Assert.Equal(config, (await RetryWhileStorageFailsAsync(topic.GetMetadataAsync)).Config);
    }

    /// <summary>
    /// Calls until no StorageError comes back: Orleans keeps an activation that failed to start for a few seconds before
    /// a call may start a new one.
    /// </summary>
    private static async Task<T> RetryWhileStorageFailsAsync<T>(Func<Task<T>> call)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(Patience.Records);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (StorageErrorException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
        }
    }
}
