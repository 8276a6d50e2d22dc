using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansBroker.Client.Producing;
using OrleansBroker.Grains.Tests.Cluster;

namespace OrleansBroker.Azure.Tests;

/// <summary>Two in-process silos configured with <c>Broker:Storage = Azure</c> against Azurite: logs in blobs, metadata in a table.</summary>
public sealed class AzureClusterTests(ITestOutputHelper output) : AzureBrokerCluster(silos: 2)
{
    private const int Partitions = 4;

    [Fact]
    public async Task Records_produced_to_azure_storage_are_all_consumed_after_the_silo_of_a_partition_is_killed()
    {
        var topic = "azure-" + Suffix;
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = Partitions });
        const int Records = 100_000;
        var value = new byte[100];
        var acknowledged = new List<ProduceResult>(Records);
        var clock = Stopwatch.StartNew();
        await using (var producer = Broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMilliseconds(5) }))
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

        var management = Cluster.Client.GetGrain<IManagementGrain>(0);
        var statistics = await management.GetDetailedGrainStatistics(null, null, TestContext.Current.CancellationToken);
        var host = statistics.First(s => s.GrainId.Key.ToString() == new TopicPartition(topic, 0).ToString()).SiloAddress;
        await Cluster.KillSiloAsync(Cluster.Silos.Single(s => s.SiloAddress.Equals(host)), TestContext.Current.CancellationToken);

        foreach (var partition in acknowledged.GroupBy(result => result.TopicPartition.Partition))
        {
            var records = await PartitionReader.ReadAsync(Cluster.Client, new TopicPartition(topic, partition.Key));
            Assert.Equal(partition.Select(result => result.Offset).Order(), records.Select(r => r.Offset));
        }

        Assert.Equal(Records, acknowledged.Count);
        // The records lie in segment blobs of the container, not anywhere the killed silo kept.
        Assert.Contains(LogBlobNames(new TopicPartition(topic, 0)), name => name.EndsWith(".log", StringComparison.Ordinal));
    }
}
