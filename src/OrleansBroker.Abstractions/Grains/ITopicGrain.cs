namespace OrleansBroker.Grains;

/// <summary>A topic: its settings and partition count. Key: the topic name.</summary>
[Alias("broker.ITopicGrain")]
public interface ITopicGrain : IGrainWithStringKey
{
    /// <summary>Creates the topic and its partitions.</summary>
    /// <exception cref="InvalidTopicNameException">The name breaks Kafka's rule.</exception>
    /// <exception cref="TopicAlreadyExistsException">The topic exists.</exception>
    /// <exception cref="InvalidPartitionsException">The partition count is out of range.</exception>
    /// <exception cref="InvalidConfigException">A setting is out of range.</exception>
    [Alias("Create")]
    Task<TopicMetadata> CreateAsync(TopicConfig config);

    /// <summary>The topic's settings and partition count, for routing; cheap (no partition is asked).</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    [Alias("GetMetadata")]
    Task<TopicMetadata> GetMetadataAsync();

    /// <summary>The topic with each partition's offsets and size.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    [Alias("Describe")]
    Task<TopicDescription> DescribeAsync();

    /// <summary>Grows the topic to <paramref name="totalPartitions"/> partitions (partitions never shrink).</summary>
    /// <exception cref="InvalidPartitionsException">The count is not above the current one, or too large.</exception>
    [Alias("AddPartitions")]
    Task<TopicMetadata> AddPartitionsAsync(int totalPartitions);

    /// <summary>Deletes the topic and all of its records.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    [Alias("Delete")]
    Task DeleteAsync();
}
