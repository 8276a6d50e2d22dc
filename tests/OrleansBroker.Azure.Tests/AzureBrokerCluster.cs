using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using OrleansBroker.Client;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Grains.Options;
using OrleansBroker.Silo;
using OrleansBroker.Storage;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// In-process silos configured with <c>Broker:Storage = Azure</c> against Azurite, with logs in a container and metadata
/// in a table of their own (deleted with the cluster): the setup the Azure cluster test classes derive from. Given
/// <see cref="StorageFaults"/>, the silos' log store sends its requests through them. Everything the silos log is kept in
/// <see cref="Logs"/>.
/// </summary>
public abstract class AzureBrokerCluster : IAsyncLifetime
{
    private readonly short _silos;
    private readonly StorageFaults? _faults;

    private protected AzureBrokerCluster(short silos, StorageFaults? faults = null)
    {
        _silos = silos;
        _faults = faults;
    }

    private protected string Suffix { get; } = Guid.NewGuid().ToString("N")[..12];

    private protected string ConnectionString { get; private set; } = null!;

    private protected InProcessTestCluster Cluster { get; private set; } = null!;

    private protected BrokerClient Broker { get; private set; } = null!;

    private protected StorageFaults Faults => _faults ?? throw new InvalidOperationException("This cluster's log store has no faults.");

    private protected LogCapture Logs { get; } = new();

    private string Container => "cluster-" + Suffix;

    private string Table => "meta" + Suffix;

    public async ValueTask InitializeAsync()
    {
        ConnectionString = Azurite.ConnectionString;
        var hosting = new SiloHostingOptions
        {
            Storage = StorageMode.Azure,
            Azure = new AzureStorageSettings { ConnectionString = ConnectionString, LogContainerName = Container, MetadataTableName = Table },
        };
        hosting.Validate();
        var builder = new InProcessTestClusterBuilder(_silos);
        builder.ConfigureSilo((_, silo) =>
        {
            hosting.ConfigureStorage(silo);
            if (_faults is not null)
            {
                // Registered last, so it is the log store the silo uses: Azure's, with the faults in its pipeline.
                var logs = new AzureBlobLogStoreOptions { ConnectionString = ConnectionString, ContainerName = Container };
                _faults.Apply(logs);
                silo.Services.AddSingleton<ILogStore>(services => new AzureBlobLogStore(logs, services.GetRequiredService<TimeProvider>()));
            }

            silo.Services.AddLogging(logging => logging.AddProvider(Logs).AddFilter<LogCapture>(level => level >= LogLevel.Information));
            silo.AddOrleansBroker(options => options.Configure(ConfigureBroker));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Broker = new BrokerClient(Cluster.Client);
    }

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
            await new BlobContainerClient(ConnectionString, Container).DeleteIfExistsAsync();
            await new TableServiceClient(ConnectionString).DeleteTableAsync(Table);
        }

        _faults?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The names of the blobs of a partition's log, without its folder, in order.</summary>
    private protected List<string> LogBlobNames(TopicPartition partition) =>
        LogBlobs.Names(new BlobContainerClient(ConnectionString, Container), new LogPartition(partition.Topic, partition.Partition));

    /// <summary>Sets the broker's options on every silo. Default: fetches wait at most 5 s.</summary>
    private protected virtual void ConfigureBroker(BrokerOptions options) => options.MaxFetchWait = TimeSpan.FromSeconds(5);
}
