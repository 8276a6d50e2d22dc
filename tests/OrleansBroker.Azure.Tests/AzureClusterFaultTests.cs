using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansBroker.Client;
using OrleansBroker.Grains;
using OrleansBroker.Grains.Hosting;
using OrleansBroker.Records;
using OrleansBroker.Silo;
using OrleansBroker.Storage;

namespace OrleansBroker.Azure.Tests;

/// <summary>A silo on Azurite whose log store's requests pass through injected faults (<see cref="StorageFaults"/>).</summary>
public sealed class AzureClusterFaultTests : IAsyncLifetime
{
    // The store's default of 4 attempts (3 retries).
    private const int Attempts = 4;

    private readonly string _suffix = Guid.NewGuid().ToString("N")[..12];
    private readonly StorageFaults _faults = new();
    private string _connectionString = null!;
    private InProcessTestCluster _cluster = null!;
    private BrokerClient _broker = null!;

    private string Container => "faults-" + _suffix;

    private string Table => "meta" + _suffix;

    public async ValueTask InitializeAsync()
    {
        _connectionString = Azurite.ConnectionString;
        var hosting = new SiloHostingOptions
        {
            Storage = StorageMode.Azure,
            Azure = new AzureStorageSettings { ConnectionString = _connectionString, LogContainerName = Container, MetadataTableName = Table },
        };
        var logs = new AzureBlobLogStoreOptions { ConnectionString = _connectionString, ContainerName = Container };
        logs.ClientOptions.Transport = _faults;
        logs.ClientOptions.Retry.Delay = TimeSpan.FromMilliseconds(50);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            hosting.ConfigureStorage(silo);

            // Registered last, so it is the log store the silo uses: Azure's, with the faults in its pipeline.
            silo.Services.AddSingleton<ILogStore>(services => new AzureBlobLogStore(logs, services.GetRequiredService<TimeProvider>()));
            silo.AddOrleansBroker();
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
            await new BlobContainerClient(_connectionString, Container).DeleteIfExistsAsync();
            await new TableServiceClient(_connectionString).DeleteTableAsync(Table);
        }

        _faults.Dispose();
    }

    [Fact]
    public async Task A_batch_stored_by_an_append_whose_answers_were_all_lost_is_acknowledged_once_when_the_producer_retries_after_the_partition_reopens_its_log()
    {
        var topic = "faults-" + _suffix;
        await _broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 1 });
        await using var producer = _broker.CreateProducer();
        Assert.Equal(0, (await producer.ProduceAsync(topic, null, "0")).Offset);

        // The append lands, but no attempt hears back: the partition fails it with a retriable storage error and
        // deactivates; the producer's retry reaches a new activation that reopened the log and finds the batch there.
        _faults.Inject(request => request.IsAppendBlock, Fault.ResponseLost, times: Attempts);
        var results = await Task.WhenAll(Enumerable.Range(1, 9).Select(i => producer.ProduceAsync(topic, null, i.ToString(System.Globalization.CultureInfo.InvariantCulture)).AsTask()));

        Assert.Equal(0, _faults.Unused);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), results.Select(result => result.Offset).Order());
        Assert.Equal(
            Enumerable.Range(0, 10).Select(i => ((long)i, i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            await ReadAsync(new TopicPartition(topic, 0)));
    }

    [Fact]
    public async Task A_fetch_that_storage_fails_past_its_retries_fails_with_a_retriable_storage_error_and_the_next_one_reads()
    {
        var topic = "faults-" + _suffix;
        await _broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 1 });
        await using (var producer = _broker.CreateProducer())
        {
            await producer.ProduceAsync(topic, null, "0");
        }

        var partition = _cluster.Client.GetGrain<IPartitionGrain>(new TopicPartition(topic, 0).ToString());
        _faults.Inject(request => request.Method == global::Azure.Core.RequestMethod.Get, Fault.ServerBusy, times: Attempts);

        var failure = await Assert.ThrowsAsync<StorageErrorException>(async () => await partition.FetchAsync(0, 1024, TimeSpan.Zero));

        Assert.True(failure.IsRetriable);
        Assert.Equal([(0L, "0")], await ReadAsync(new TopicPartition(topic, 0)));
    }

    /// <summary>The offset and value of every record of a partition, read through its grain.</summary>
    private async Task<List<(long Offset, string Value)>> ReadAsync(TopicPartition partition)
    {
        var grain = _cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
        var records = new List<(long Offset, string Value)>();
        var fetched = await grain.FetchAsync(0, 1024 * 1024, TimeSpan.Zero);
        var reader = new RecordBatchReader(fetched.Batches);
        while (reader.TryReadNext(out var record))
        {
            records.Add((record.Offset, Encoding.UTF8.GetString(record.Value.Span)));
        }

        return records;
    }
}
