using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Time.Testing;
using OrleansBroker.Storage;

namespace OrleansBroker.Azure.Tests;

/// <summary>A blob container of its own for one test, deleted at the end, and a fake clock.</summary>
internal sealed class TestContainer : IAsyncDisposable
{
    public TestContainer()
    {
        ConnectionString = Azurite.ConnectionString;
        Name = "test-" + Guid.NewGuid().ToString("N");
        Client = new BlobContainerClient(ConnectionString, Name);
    }

    public string ConnectionString { get; }

    public string Name { get; }

    public BlobContainerClient Client { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A new store on the container: stores made here fence each other only through the blobs, as silos do.</summary>
    public AzureBlobLogStore Store(Action<AzureBlobLogStoreOptions>? configure = null)
    {
        var options = new AzureBlobLogStoreOptions { ConnectionString = ConnectionString, ContainerName = Name };
        configure?.Invoke(options);
        return new AzureBlobLogStore(options, Time);
    }

    /// <summary>
    /// A new store whose blob requests pass through <paramref name="faults"/>, with short retry delays so that faults
    /// the SDK retries cost the test little time.
    /// </summary>
    public AzureBlobLogStore Store(StorageFaults faults, Action<AzureBlobLogStoreOptions>? configure = null) =>
        Store(options =>
        {
            options.ClientOptions.Transport = faults;
            options.ClientOptions.Retry.Delay = TimeSpan.FromMilliseconds(50);
            configure?.Invoke(options);
        });

    /// <summary>The names of the blobs under a partition's folder, without the folder, in order.</summary>
    public List<string> BlobNames(LogPartition partition) =>
        [.. Client.GetBlobs(BlobTraits.None, BlobStates.None, partition + "/", TestContext.Current.CancellationToken).Select(blob => blob.Name[(partition.ToString().Length + 1)..]).Order(StringComparer.Ordinal)];

    public async ValueTask DisposeAsync() => await Client.DeleteIfExistsAsync();
}
