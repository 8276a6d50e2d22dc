using System.Globalization;
using OrleansBroker.Grains;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Azure.Tests;

/// <summary>A silo on Azurite whose log store's requests pass through injected faults (<see cref="StorageFaults"/>).</summary>
public sealed class AzureClusterFaultTests() : AzureBrokerCluster(silos: 1, new StorageFaults())
{
    // The store's default of 4 attempts (3 retries).
    private const int Attempts = 4;

    [Fact]
    public async Task A_batch_stored_by_an_append_whose_answers_were_all_lost_is_acknowledged_once_when_the_producer_retries_after_the_partition_reopens_its_log()
    {
        var topic = "faults-" + Suffix;
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 1 });
        await using var producer = Broker.CreateProducer();
        Assert.Equal(0, (await producer.ProduceAsync(topic, null, "0")).Offset);

        // The append lands, but no attempt hears back: the partition fails it with a retriable storage error and
        // deactivates; the producer's retry reaches a new activation that reopened the log and finds the batch there.
        Faults.Inject(request => request.IsAppendBlock, Fault.ResponseLost, times: Attempts);
        var results = await Task.WhenAll(Enumerable.Range(1, 9).Select(i => producer.ProduceAsync(topic, null, Text(i)).AsTask()));

        Assert.Equal(0, Faults.Unused);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), results.Select(result => result.Offset).Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => ((long)i, Text(i))), await PartitionReader.ReadAsync(Cluster.Client, new TopicPartition(topic, 0)));
    }

    [Fact]
    public async Task A_fetch_that_storage_fails_past_its_retries_fails_with_a_retriable_storage_error_and_the_next_one_reads()
    {
        var topic = "faults-" + Suffix;
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = 1 });
        await using (var producer = Broker.CreateProducer())
        {
            await producer.ProduceAsync(topic, null, "0");
        }

        var partition = Partition(new TopicPartition(topic, 0));
        Faults.Inject(request => request.Method == global::Azure.Core.RequestMethod.Get, Fault.ServerBusy, times: Attempts);

        var failure = await Assert.ThrowsAsync<StorageErrorException>(async () => await partition.FetchAsync(0, 1024, TimeSpan.Zero));

        Assert.True(failure.IsRetriable);
        Assert.Equal([(0L, "0")], await PartitionReader.ReadAsync(Cluster.Client, new TopicPartition(topic, 0)));
    }

    private static string Text(int i) => i.ToString(CultureInfo.InvariantCulture);

    private IPartitionGrain Partition(TopicPartition partition) => Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
}
