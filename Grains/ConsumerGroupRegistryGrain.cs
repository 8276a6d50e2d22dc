using System.Collections.Immutable;
using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains;

/// <summary>The list of consumer groups. Groups add themselves when a member first joins or commits.</summary>
public sealed class ConsumerGroupRegistryGrain(
    [PersistentState("groups", BrokerStorage.MetadataStorageName)] IPersistentState<ConsumerGroupRegistryState> state)
    : Grain, IConsumerGroupRegistryGrain
{
    public async Task AddAsync(string groupId)
    {
        if (state.State.Groups.Add(groupId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<ImmutableArray<string>> ListAsync() => Task.FromResult(state.State.Groups.ToImmutableArray());
}
