using System.Collections.Immutable;
using OrleansBroker.Grains;

namespace OrleansBroker.Client;

/// <summary>Creates, lists, describes, grows and deletes topics; looks up offsets.</summary>
public sealed class BrokerAdmin
{
    private readonly IGrainFactory _grainFactory;
    private readonly TopicMetadataCache _metadata;

    internal BrokerAdmin(IGrainFactory grainFactory, TopicMetadataCache metadata)
    {
        _grainFactory = grainFactory;
        _metadata = metadata;
    }

    /// <summary>Creates a topic.</summary>
    /// <exception cref="InvalidTopicNameException">The name breaks Kafka's rule.</exception>
    /// <exception cref="TopicAlreadyExistsException">The topic exists.</exception>
    /// <exception cref="InvalidPartitionsException">The partition count is out of range.</exception>
    /// <exception cref="InvalidConfigException">A setting is out of range.</exception>
    public Task<TopicMetadata> CreateTopicAsync(string topic, TopicConfig? config = null)
    {
        TopicName.Validate(topic);
        return Topic(topic).CreateAsync(config ?? TopicConfig.Default);
    }

    /// <summary>The names of all topics, sorted.</summary>
    public Task<ImmutableArray<string>> ListTopicsAsync() => _grainFactory.GetGrain<ITopicRegistryGrain>(0).ListAsync();

    /// <summary>A topic with each partition's log start offset, high watermark and size.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    public Task<TopicDescription> DescribeTopicAsync(string topic)
    {
        TopicName.Validate(topic);
        return Topic(topic).DescribeAsync();
    }

    /// <summary>Grows a topic to <paramref name="totalPartitions"/> partitions.</summary>
    /// <exception cref="InvalidPartitionsException">The count is not above the current one.</exception>
    public async Task<TopicMetadata> AddPartitionsAsync(string topic, int totalPartitions)
    {
        TopicName.Validate(topic);
        var metadata = await Topic(topic).AddPartitionsAsync(totalPartitions);
        _metadata.Invalidate(topic);
        return metadata;
    }

    /// <summary>Deletes a topic and all of its records.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    public async Task DeleteTopicAsync(string topic)
    {
        TopicName.Validate(topic);
        await Topic(topic).DeleteAsync();
        _metadata.Invalidate(topic);
    }

    /// <summary>Looks up an offset of a partition: earliest, latest, or the first at or after a timestamp (null when none is).</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The partition does not exist.</exception>
    public ValueTask<long?> ListOffsetsAsync(TopicPartition partition, OffsetSpec spec) =>
        _grainFactory.GetGrain<IPartitionGrain>(partition.ToString()).ListOffsetsAsync(spec);

    /// <summary>The offsets a consumer group committed for the partitions asked for (partitions without one are left out).</summary>
    public Task<ImmutableArray<TopicPartitionOffset>> ListCommittedOffsetsAsync(string groupId, IEnumerable<TopicPartition> partitions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return _grainFactory.GetGrain<IConsumerGroupGrain>(groupId).FetchOffsetsAsync([.. partitions]);
    }

    private ITopicGrain Topic(string topic) => _grainFactory.GetGrain<ITopicGrain>(topic);

    /// <summary>The delivery state of queue group <paramref name="group"/> on each partition of <paramref name="topic"/>.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    public async Task<ImmutableArray<QueuePartitionDescription>> DescribeQueueGroupAsync(string group, string topic)
    {
        QueuePartitionId.ValidateGroup(group);
        TopicName.Validate(topic);
        var metadata = await Topic(topic).GetMetadataAsync();
        var partitions = await Task.WhenAll(Enumerable.Range(0, metadata.Config.Partitions).Select(p =>
            _grainFactory.GetGrain<IQueueGrain>(new QueuePartitionId(group, new TopicPartition(topic, p)).ToString()).DescribeAsync().AsTask()));
        return [.. partitions];
    }
}
