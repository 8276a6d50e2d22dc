using System.Collections.Immutable;
using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains;

/// <summary>A consumer group's committed offsets, persisted.</summary>
public sealed class ConsumerGroupGrain(
    [PersistentState("group", BrokerStorage.MetadataStorageName)] IPersistentState<ConsumerGroupState> state) : Grain, IConsumerGroupGrain
{
    public async Task CommitOffsetsAsync(ImmutableArray<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            if (offset.Offset < 0)
            {
                throw new InvalidRequestException($"Cannot commit the negative offset {offset.Offset} for {offset.TopicPartition}.");
            }
        }

        foreach (var offset in offsets)
        {
            state.State.Offsets[offset.TopicPartition.ToString()] = offset.Offset;
        }

        await state.WriteStateAsync();
    }

    public Task<ImmutableArray<TopicPartitionOffset>> FetchOffsetsAsync(ImmutableArray<TopicPartition> partitions)
    {
        var builder = ImmutableArray.CreateBuilder<TopicPartitionOffset>(partitions.Length);
        foreach (var partition in partitions)
        {
            if (state.State.Offsets.TryGetValue(partition.ToString(), out var offset))
            {
                builder.Add(new TopicPartitionOffset(partition, offset));
            }
        }

        return Task.FromResult(builder.ToImmutable());
    }
}
