namespace OrleansBroker.Storage;

/// <summary>Settings of the <see cref="AzureBlobLogStore"/>.</summary>
public sealed class AzureBlobLogStoreOptions
{
    /// <summary>The storage account's connection string; <c>UseDevelopmentStorage=true</c> means Azurite on loopback. Required.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The blob container that holds one <c>{topic}-{partition}/</c> folder per partition log. Default: broker-logs.</summary>
    public string ContainerName { get; set; } = "broker-logs";

    /// <summary>The most blocks an append blob takes (the service's limit; tests lower it to see segments roll). Default: 50,000.</summary>
    internal int MaxBlocksPerSegment { get; set; } = 50_000;

    /// <summary>The largest append block written. Default: 4 MiB, the limit of every service version.</summary>
    internal int MaxAppendBlockBytes { get; set; } = 4 * 1024 * 1024;
}
