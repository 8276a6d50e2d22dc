using System.Collections.Immutable;
using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains;

/// <summary>The list of topics. Topic grains add and remove themselves; admins list.</summary>
public sealed class TopicRegistryGrain(
    [PersistentState("registry", BrokerStorage.MetadataStorageName)] IPersistentState<TopicRegistryState> state) : Grain, ITopicRegistryGrain
{
    public async Task AddAsync(string topic)
    {
        if (state.State.Topics.Add(topic))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task RemoveAsync(string topic)
    {
        if (state.State.Topics.Remove(topic))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<ImmutableArray<string>> ListAsync() => Task.FromResult(state.State.Topics.ToImmutableArray());
}
