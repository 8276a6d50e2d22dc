using Azure.Storage.Blobs;
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

    /// <summary>A new store whose blob requests pass through <paramref name="faults"/> (<see cref="StorageFaults.Apply"/>).</summary>
    public AzureBlobLogStore Store(StorageFaults faults, Action<AzureBlobLogStoreOptions>? configure = null) =>
        Store(options =>
        {
            faults.Apply(options);
            configure?.Invoke(options);
        });

    /// <summary>The names of the blobs under a partition's folder, without the folder, in order.</summary>
    public List<string> BlobNames(LogPartition partition) => LogBlobs.Names(Client, partition);

    public async ValueTask DisposeAsync() => await Client.DeleteIfExistsAsync();
}
