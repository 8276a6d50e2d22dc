namespace OrleansBroker.Grains.State;

/// <summary>The ids of all consumer groups.</summary>
[GenerateSerializer]
[Alias("broker.ConsumerGroupRegistryState")]
public sealed class ConsumerGroupRegistryState
{
    /// <summary>Group ids.</summary>
    [Id(0)]
    public SortedSet<string> Groups { get; set; } = new(StringComparer.Ordinal);
}
