using System.Collections.Immutable;

namespace OrleansBroker.Grains;

/// <summary>The list of topics of the cluster. One instance, key 0.</summary>
[Alias("broker.ITopicRegistryGrain")]
public interface ITopicRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records that a topic exists.</summary>
    [Alias("Add")]
    Task AddAsync(string topic);

    /// <summary>Records that a topic no longer exists.</summary>
    [Alias("Remove")]
    Task RemoveAsync(string topic);

    /// <summary>The names of all topics, sorted.</summary>
    [Alias("List")]
    Task<ImmutableArray<string>> ListAsync();
}
