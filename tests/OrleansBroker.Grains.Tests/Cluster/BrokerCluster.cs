using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansBroker.Client;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Grains.Tests.Storage;
using OrleansBroker.Storage;

namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>
/// In-process silos running the broker on one temporary data directory of their own (File log store and file metadata
/// storage), so a partition can fail over from one silo to another and find its data. Shared fixtures derive from it,
/// and so do test classes that need a cluster to themselves because they kill silos or move the clock. With
/// <paramref name="directIO"/> the log store reads and writes with direct I/O.
/// </summary>
public abstract class BrokerCluster(short silos = 2, bool directIO = false) : IAsyncLifetime
{
    /// <summary>The directory every silo keeps its logs and metadata in; deleted with the cluster.</summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("obroker-cluster-").FullName;

    /// <summary>The settings of the silos' log store, for a test that opens a partition's log beside them.</summary>
    public FileLogStoreOptions LogStoreOptions => new() { DataDirectory = Path.Combine(DataDirectory, "logs"), DirectIO = directIO };

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public BrokerClient Broker { get; private set; } = null!;

    /// <summary>The grain storage that holds the broker's metadata, as the silos use it.</summary>
    public IGrainStorage MetadataStorage =>
        Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(BrokerStorage.MetadataStorageName);

    /// <summary>A grain's state as storage holds it now (a new one when nothing is stored).</summary>
    public async Task<T> ReadStoredStateAsync<T>(string stateName, GrainId grainId)
        where T : new()
    {
        var state = new GrainState<T>(new T());
        await MetadataStorage.ReadStateAsync(stateName, grainId, state);
        return state.State ?? new T();
    }

    /// <summary>Makes every write of a stored grain state fail with an I/O error until the result is disposed.</summary>
    public IDisposable FailStateWrites(string stateName, GrainId grainId) =>
        StateFileFault.FailWrites(MetadataDirectory, grainId, stateName);

    /// <summary>Makes every read of a stored grain state fail with an I/O error until the result is disposed.</summary>
    public IDisposable FailStateReads(string stateName, GrainId grainId) =>
        StateFileFault.FailReads(MetadataDirectory, grainId, stateName);

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((_, silo) => silo.AddOrleansBroker(options => options.Configure(o =>
        {
            o.DataDirectory = DataDirectory;
            o.MaxFetchWait = TimeSpan.FromSeconds(5);
            o.DirectIO = directIO;
        })));
        Configure(builder);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Broker = new BrokerClient(Cluster.Client);
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(DataDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Adds to the silos' configuration before the cluster is built.</summary>
    protected virtual void Configure(InProcessTestClusterBuilder builder)
    {
    }

    private string MetadataDirectory => Path.Combine(DataDirectory, "metadata");
}
