namespace OrleansBroker.Grains;

/// <summary>Names of the storage providers the broker's grains use.</summary>
public static class BrokerStorage
{
    /// <summary>The grain storage provider that holds topic, partition and group metadata (never records).</summary>
    public const string MetadataStorageName = "broker-metadata";
}
