using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains;

/// <summary>
/// A topic's settings and partition count. Not reentrant: admin operations on one topic run one at a time.
/// Creation initializes every partition before the topic is recorded, so a retried create after a crash
/// finishes the job instead of leaving a topic with missing partitions.
/// </summary>
public sealed class TopicGrain(
    [PersistentState("topic", BrokerStorage.MetadataStorageName)] IPersistentState<TopicState> state) : Grain, ITopicGrain
{
    private string Name => this.GetPrimaryKeyString();

    public async Task<TopicMetadata> CreateAsync(TopicConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        TopicName.Validate(Name);
        config.Validate();
        if (state.State.Config is not null)
        {
            // A create whose registry write failed stored the topic but left it unlisted; its retry lands here and lists it.
            await Registry.AddAsync(Name);
            throw new TopicAlreadyExistsException($"Topic '{Name}' already exists.");
        }

        await InitializePartitionsAsync(config, 0, config.Partitions);
        state.State.Config = config;
        await state.WriteStateAsync();
        await Registry.AddAsync(Name);
        return new TopicMetadata(Name, config);
    }

    public Task<TopicMetadata> GetMetadataAsync() => Task.FromResult(new TopicMetadata(Name, RequireConfig()));

    public async Task<TopicDescription> DescribeAsync()
    {
        var config = RequireConfig();
        var partitions = await Task.WhenAll(
            Enumerable.Range(0, config.Partitions).Select(p => Partition(p).GetInfoAsync().AsTask()));
        return new TopicDescription(Name, config, [.. partitions]);
    }

    public async Task<TopicMetadata> AddPartitionsAsync(int totalPartitions)
    {
        var config = RequireConfig();
        if (totalPartitions <= config.Partitions)
        {
            throw new InvalidPartitionsException(
                $"Topic '{Name}' has {config.Partitions} partitions; the new count {totalPartitions} must be higher.");
        }

        var grown = config with { Partitions = totalPartitions };
        grown.Validate();
        await InitializePartitionsAsync(grown, config.Partitions, totalPartitions);
        state.State.Config = grown;
        await state.WriteStateAsync();
        return new TopicMetadata(Name, grown);
    }

    public async Task DeleteAsync()
    {
        var config = RequireConfig();
        await Task.WhenAll(Enumerable.Range(0, config.Partitions).Select(p => Partition(p).DeleteAsync()));
        state.State.Config = null;
        await state.WriteStateAsync();
        await Registry.RemoveAsync(Name);
    }

    private Task InitializePartitionsAsync(TopicConfig config, int from, int to) =>
        Task.WhenAll(Enumerable.Range(from, to - from).Select(p => Partition(p).InitializeAsync(config)));

    private TopicConfig RequireConfig()
    {
        TopicName.Validate(Name);
        return state.State.Config ?? throw new UnknownTopicOrPartitionException($"Topic '{Name}' does not exist.");
    }

    private IPartitionGrain Partition(int partition) =>
        GrainFactory.GetGrain<IPartitionGrain>(new TopicPartition(Name, partition).ToString());

    private ITopicRegistryGrain Registry => GrainFactory.GetGrain<ITopicRegistryGrain>(0);
}
