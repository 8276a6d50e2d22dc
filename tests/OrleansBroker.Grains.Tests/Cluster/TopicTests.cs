namespace OrleansBroker.Grains.Tests.Cluster;

[Collection(BrokerClusterDefinition.Name)]
public sealed class TopicTests(BrokerClusterFixture fixture)
{
    private readonly OrleansBroker.Client.BrokerAdmin _admin = fixture.Broker.Admin;

    [Fact]
    public async Task Create_then_describe_lists_every_partition_empty()
    {
        var topic = BrokerClusterFixture.NewTopic();

        await _admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 3 });
        var description = await _admin.DescribeTopicAsync(topic);

        Assert.Equal(topic, description.Name);
        Assert.Equal([0, 1, 2], description.Partitions.Select(p => p.Partition));
        Assert.All(description.Partitions, p => Assert.Equal((0L, 0L), (p.LogStartOffset, p.HighWatermark)));
        Assert.Contains(topic, await _admin.ListTopicsAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    [InlineData("ünicode")]
    public async Task Invalid_topic_names_are_refused_with_a_typed_error(string name)
    {
        var error = await Assert.ThrowsAsync<InvalidTopicNameException>(() => _admin.CreateTopicAsync(name));

        Assert.Equal(ErrorCode.InvalidTopicName, error.ErrorCode);
    }

    [Fact]
    public async Task A_name_of_250_characters_is_refused_and_249_is_accepted()
    {
        var prefix = BrokerClusterFixture.NewTopic();

        await Assert.ThrowsAsync<InvalidTopicNameException>(() => _admin.CreateTopicAsync(prefix.PadRight(250, 'x')));
        await _admin.CreateTopicAsync(prefix.PadRight(249, 'x'));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(TopicConfig.MaxPartitions + 1)]
    public async Task Out_of_range_partition_counts_are_refused_and_create_nothing(int partitions)
    {
        var topic = BrokerClusterFixture.NewTopic();

        await Assert.ThrowsAsync<InvalidPartitionsException>(() => _admin.CreateTopicAsync(topic, new TopicConfig { Partitions = partitions }));

        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => _admin.DescribeTopicAsync(topic));
        Assert.DoesNotContain(topic, await _admin.ListTopicsAsync());
    }

    [Fact]
    public async Task Creating_an_existing_topic_fails_and_keeps_its_settings()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await _admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 2 });

        await Assert.ThrowsAsync<TopicAlreadyExistsException>(() => _admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 5 }));

        Assert.Equal(2, (await _admin.DescribeTopicAsync(topic)).Partitions.Length);
    }

    [Fact]
    public async Task Unknown_topics_and_partitions_give_typed_errors()
    {
        var topic = BrokerClusterFixture.NewTopic();

        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => _admin.DescribeTopicAsync(topic));
        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => _admin.DeleteTopicAsync(topic));
        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(
            () => _admin.ListOffsetsAsync(new TopicPartition(topic, 0), OffsetSpec.Latest).AsTask());
        await using var producer = fixture.Broker.CreateProducer();
        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => producer.ProduceAsync(topic, null, "v").AsTask());
    }

    [Fact]
    public async Task Adding_partitions_grows_the_topic_and_never_shrinks_it()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await _admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 2 });

        await _admin.AddPartitionsAsync(topic, 4);
        await Assert.ThrowsAsync<InvalidPartitionsException>(() => _admin.AddPartitionsAsync(topic, 3));

        Assert.Equal(4, (await _admin.DescribeTopicAsync(topic)).Partitions.Length);
    }

    [Fact]
    public async Task Deleting_a_topic_removes_it_and_its_records_and_the_name_can_be_reused()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await _admin.CreateTopicAsync(topic);
        await using (var producer = fixture.Broker.CreateProducer())
        {
            await producer.ProduceAsync(topic, null, "old");
        }

        await _admin.DeleteTopicAsync(topic);
        Assert.DoesNotContain(topic, await _admin.ListTopicsAsync());
        await Assert.ThrowsAsync<UnknownTopicOrPartitionException>(() => _admin.DescribeTopicAsync(topic));

        await _admin.CreateTopicAsync(topic);
        var partition = Assert.Single((await _admin.DescribeTopicAsync(topic)).Partitions);
        Assert.Equal(0, partition.HighWatermark);
    }

    [Fact]
    public async Task Invalid_topic_settings_are_refused()
    {
        await Assert.ThrowsAsync<InvalidConfigException>(
            () => _admin.CreateTopicAsync(BrokerClusterFixture.NewTopic(), new TopicConfig { RetentionMs = 0 }));
        await Assert.ThrowsAsync<InvalidConfigException>(
            () => _admin.CreateTopicAsync(BrokerClusterFixture.NewTopic(), new TopicConfig { MaxMessageBytes = 10 }));
    }
}
