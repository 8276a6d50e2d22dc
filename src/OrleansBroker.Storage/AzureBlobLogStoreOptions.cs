using Azure.Storage.Blobs;

namespace OrleansBroker.Storage;

/// <summary>Settings of the <see cref="AzureBlobLogStore"/>.</summary>
public sealed class AzureBlobLogStoreOptions
{
    /// <summary>The storage account's connection string; <c>UseDevelopmentStorage=true</c> means Azurite on loopback. Required.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The blob container that holds one <c>{topic}-{partition}/</c> folder per partition log. Default: broker-logs.</summary>
    public string ContainerName { get; set; } = "broker-logs";

    /// <summary>
    /// The blob client's settings: retries, timeouts, transport. Default: the SDK's, except for 3 retries (not 5) and a 5 s
    /// network timeout per attempt (not 100 s), so that an unreachable service fails a write after about 6 s of backoff and a
    /// hung one after about 26 s, under a broker client's 30 s response timeout, instead of after up to 10 minutes.
    /// </summary>
    public BlobClientOptions ClientOptions { get; set; } = DefaultClientOptions();

    /// <summary>The most blocks an append blob takes (the service's limit; tests lower it to see segments roll). Default: 50,000.</summary>
    internal int MaxBlocksPerSegment { get; set; } = 50_000;

    /// <summary>The largest append block written. Default: 4 MiB, the limit of every service version.</summary>
    internal int MaxAppendBlockBytes { get; set; } = 4 * 1024 * 1024;

    private static BlobClientOptions DefaultClientOptions()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 3;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        return options;
    }
}
