using System.Collections.Immutable;
using OrleansBroker.Grains;

namespace OrleansBroker.Client;

/// <summary>Creates, lists, describes, grows and deletes topics; looks up offsets; lists, describes and resets consumer groups.</summary>
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

    /// <summary>The ids of all consumer groups, sorted.</summary>
    public Task<ImmutableArray<string>> ListGroupsAsync() => _grainFactory.GetGrain<IConsumerGroupRegistryGrain>(0).ListAsync();

    /// <summary>A consumer group's state, members and assignment, and per partition its committed offset, high watermark and lag.</summary>
    public Task<GroupDescription> DescribeGroupAsync(string groupId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return _grainFactory.GetGrain<IConsumerGroupGrain>(groupId).DescribeAsync();
    }

    /// <summary>
    /// Moves a group's committed offsets for every partition of a topic to the earliest, latest or first-at-a-timestamp
    /// offset (the high watermark where no record is that recent). Only while the group has no members.
    /// </summary>
    /// <returns>The offsets set.</returns>
    /// <exception cref="NonEmptyGroupException">The group has members.</exception>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    public Task<ImmutableArray<TopicPartitionOffset>> ResetOffsetsAsync(string groupId, string topic, OffsetSpec spec) =>
        ResetOffsetsAsync(groupId, topic, async partition =>
            await ListOffsetsAsync(partition, spec) ?? await ListOffsetsAsync(partition, OffsetSpec.Latest) ?? 0);

    /// <summary>
    /// Sets a group's committed offset for every partition of a topic to <paramref name="offset"/>, kept within each
    /// partition's log start offset and high watermark. Only while the group has no members.
    /// </summary>
    /// <returns>The offsets set.</returns>
    /// <exception cref="NonEmptyGroupException">The group has members.</exception>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    public Task<ImmutableArray<TopicPartitionOffset>> ResetOffsetsAsync(string groupId, string topic, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return ResetOffsetsAsync(groupId, topic, async partition =>
        {
            var info = await _grainFactory.GetGrain<IPartitionGrain>(partition.ToString()).GetInfoAsync();
            return Math.Clamp(offset, info.LogStartOffset, info.HighWatermark);
        });
    }

    private async Task<ImmutableArray<TopicPartitionOffset>> ResetOffsetsAsync(string groupId, string topic, Func<TopicPartition, Task<long>> offsetOf)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        TopicName.Validate(topic);
        var metadata = await Topic(topic).GetMetadataAsync();
        var partitions = Enumerable.Range(0, metadata.Config.Partitions).Select(p => new TopicPartition(topic, p)).ToList();
        var offsets = await Task.WhenAll(partitions.Select(async p => new TopicPartitionOffset(p, await offsetOf(p))));
        await _grainFactory.GetGrain<IConsumerGroupGrain>(groupId).ResetOffsetsAsync([.. offsets]);
        return [.. offsets];
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
