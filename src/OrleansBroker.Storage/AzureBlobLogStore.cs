using Azure.Storage.Blobs;
using OrleansBroker.Storage.Azure;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage;

/// <summary>
/// Partition logs in Azure Blob Storage (or Azurite): one append blob per segment under
/// <c>{topic}-{partition}/{baseOffset:D20}.log</c>, an index blob per sealed segment and a
/// <c>leader-epoch</c> blob. Every append is conditioned on the append position and on the lease the
/// current writer took on the active segment, so a stale writer fails instead of interleaving, in this
/// process or any other. The SDK retries failed requests (<see cref="AzureBlobLogStoreOptions.ClientOptions"/>);
/// a failure past its retries surfaces as a <see cref="LogStorageException"/>.
/// </summary>
public sealed class AzureBlobLogStore : ILogStore
{
    // Per store, not per process: two stores on one container (two silos) fence each other through the
    // blob conditions alone, as silos in different processes do.
    private readonly EpochFenceRegistry _fences = new();
    private readonly BlobContainerClient _container;
    private readonly AzureBlobLogStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private volatile bool _containerExists;

    public AzureBlobLogStore(AzureBlobLogStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ContainerName);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _container = new BlobContainerClient(options.ConnectionString, options.ContainerName, options.ClientOptions);
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>The settings the store was made with: tests check that the silo's configuration reaches them.</summary>
    internal AzureBlobLogStoreOptions Options => _options;

    public async ValueTask<IPartitionLog> OpenAsync(LogPartition partition, int epoch, LogConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);

        // A group commit is split into append blocks at batch boundaries, so one batch must fit a block.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(config.MaxBatchBytes, _options.MaxAppendBlockBytes);
        try
        {
            if (!_containerExists)
            {
                await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
                _containerExists = true;
            }

            // The engine's writer and recovery use the SDK's blocking calls: keep them off the caller's (grain's) thread.
            return await WriterThreads.Shared.Factory.StartNew(
                () => PartitionLog.Open(partition, epoch, config, _timeProvider, new BlobLogDirectory(_container, partition, config, _options), _fences, partition.ToString()),
                cancellationToken);
        }
        catch (Exception failure) when (BlobLogDirectory.IsStorageFailure(failure))
        {
            throw new LogStorageException($"Opening the log of {partition} failed. {failure.Message}", failure);
        }
    }
}
