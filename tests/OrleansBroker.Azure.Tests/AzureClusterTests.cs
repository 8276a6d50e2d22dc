using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Orleans.TestingHost;
using OrleansBroker.Client;
using OrleansBroker.Client.Producing;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Grains.Tests.Cluster;
using OrleansBroker.Silo;

namespace OrleansBroker.Azure.Tests;

/// <summary>Two in-process silos configured with <c>Broker:Storage = Azure</c> against Azurite: logs in blobs, metadata in a table.</summary>
public sealed class AzureClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Partitions = 4;

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];
    private string _connectionString = null!;
    private InProcessTestCluster _cluster = null!;
    private BrokerClient _broker = null!;

    private string Container => "cluster-" + _suffix;

    private string Table => "meta" + _suffix;

    public async ValueTask InitializeAsync()
    {
        _connectionString = Azurite.ConnectionString;
        var hosting = new SiloHostingOptions
        {
            Storage = StorageMode.Azure,
            Azure = new AzureStorageSettings { ConnectionString = _connectionString, LogContainerName = Container, MetadataTableName = Table },
        };
        hosting.Validate();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            hosting.ConfigureStorage(silo);
            silo.AddOrleansBroker(options => options.Configure(o => o.MaxFetchWait = TimeSpan.FromSeconds(5)));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        _broker = new BrokerClient(_cluster.Client);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
            await new global::Azure.Storage.Blobs.BlobContainerClient(_connectionString, Container).DeleteIfExistsAsync();
            await new TableServiceClient(_connectionString).DeleteTableAsync(Table);
        }
    }

    [Fact]
    public async Task Records_produced_to_azure_storage_are_all_consumed_after_the_silo_of_a_partition_is_killed()
    {
        var topic = "azure-" + _suffix;
        await _broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = Partitions });
        const int Records = 100_000;
        var value = new byte[100];
        var acknowledged = new List<ProduceResult>(Records);
        var clock = Stopwatch.StartNew();
        await using (var producer = _broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMilliseconds(5) }))
        {
            var pending = new List<Task<ProduceResult>>(Records);
            for (var i = 0; i < Records; i++)
            {
                pending.Add(producer.ProduceAsync(topic, Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)), value).AsTask());
            }

            acknowledged.AddRange(await Task.WhenAll(pending));
        }

        clock.Stop();
        output.WriteLine($"Produced {Records} records of 100 bytes to Azurite in {clock.Elapsed.TotalSeconds:F2} s: {Records / clock.Elapsed.TotalSeconds:F0} records/s.");

        var management = _cluster.Client.GetGrain<IManagementGrain>(0);
        var statistics = await management.GetDetailedGrainStatistics(null, null, TestContext.Current.CancellationToken);
        var host = statistics.First(s => s.GrainId.Key.ToString() == new TopicPartition(topic, 0).ToString()).SiloAddress;
        await _cluster.KillSiloAsync(_cluster.Silos.Single(s => s.SiloAddress.Equals(host)), TestContext.Current.CancellationToken);

        foreach (var partition in acknowledged.GroupBy(result => result.TopicPartition.Partition))
        {
            var records = await PartitionReader.ReadAsync(_cluster.Client, new TopicPartition(topic, partition.Key));
            Assert.Equal(partition.Select(result => result.Offset).Order(), records.Select(r => r.Offset));
        }

        Assert.Equal(Records, acknowledged.Count);
        // The records lie in segment blobs of the container, not anywhere the killed silo kept.
        var logs = new global::Azure.Storage.Blobs.BlobContainerClient(_connectionString, Container);
        var segments = 0;
        await foreach (var blob in logs.GetBlobsAsync(global::Azure.Storage.Blobs.Models.BlobTraits.None, global::Azure.Storage.Blobs.Models.BlobStates.None, $"{topic}-0/", TestContext.Current.CancellationToken))
        {
            segments += blob.Name.EndsWith(".log", StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.NotEqual(0, segments);
    }
}
