namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>The two-silo broker cluster the tests of <see cref="BrokerClusterDefinition"/> share.</summary>
public sealed class BrokerClusterFixture : BrokerCluster
{
    /// <summary>A topic name no other test uses.</summary>
    public static string NewTopic(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}";
}

[CollectionDefinition(Name)]
public sealed class BrokerClusterDefinition : ICollectionFixture<BrokerClusterFixture>
{
    public const string Name = "broker cluster";
}
