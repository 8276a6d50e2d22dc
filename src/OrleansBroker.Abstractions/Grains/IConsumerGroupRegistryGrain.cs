using System.Collections.Immutable;

namespace OrleansBroker.Grains;

/// <summary>The list of consumer groups of the cluster. One instance, key 0.</summary>
[Alias("broker.IConsumerGroupRegistryGrain")]
public interface IConsumerGroupRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records that a group exists.</summary>
    [Alias("Add")]
    Task AddAsync(string groupId);

    /// <summary>The ids of all groups, sorted.</summary>
    [Alias("List")]
    Task<ImmutableArray<string>> ListAsync();
}
