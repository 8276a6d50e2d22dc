using System.Globalization;
using System.Text;
using OrleansBroker.Client.Producing;
using OrleansBroker.Storage;

namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>Silo kills and fencing; each test runs its own cluster because it kills silos.</summary>
public class FailoverTests : BrokerCluster
{
    public FailoverTests()
        : this(directIO: false)
    {
    }

    protected FailoverTests(bool directIO)
        : base(silos: 3, directIO)
    {
    }

    [Fact]
    public async Task Killing_the_silo_of_a_partition_mid_produce_loses_and_duplicates_no_acknowledged_record()
    {
        var topic = BrokerClusterFixture.NewTopic();
        const int Partitions = 6;
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = Partitions });
        await using var producer = Broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMilliseconds(1) });
        var acknowledged = new List<(ProduceResult Result, string Value)>();
        var halfway = new TaskCompletionSource<TopicPartition>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The loop keeps appends in flight while the silo dies: their retries must neither lose nor repeat a record.
        var producing = Task.Run(async () =>
        {
            for (var i = 0; i < 4_000; i += 20)
            {
                var window = new List<(Task<ProduceResult> Pending, string Value)>();
                for (var j = i; j < i + 20; j++)
                {
                    var value = j.ToString("D6", CultureInfo.InvariantCulture);
                    window.Add((producer.ProduceAsync(topic, Encoding.UTF8.GetBytes($"k{j % 17}"), Encoding.UTF8.GetBytes(value)).AsTask(), value));
                }

                foreach (var (pending, value) in window)
                {
                    acknowledged.Add((await pending, value));
                }

                if (acknowledged.Count >= 1_000)
                {
                    halfway.TrySetResult(acknowledged[^1].Result.TopicPartition);
                }
            }
        }, TestContext.Current.CancellationToken);

        await KillSiloHostingAsync(await halfway.Task);
        await producing;

        Assert.Equal(4_000, acknowledged.Count);
        await PartitionReader.AssertLogsHoldExactlyAsync(Cluster.Client, topic, Partitions, acknowledged);
    }

    [Fact]
    public async Task A_stale_activation_cannot_write_after_a_newer_one_took_the_log()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await Broker.Admin.CreateTopicAsync(topic);
        var partition = new TopicPartition(topic, 0);
        var grain = Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
        await using (var producer = Broker.CreateProducer())
        {
            await producer.ProduceAsync(partition, null, Encoding.UTF8.GetBytes("before"));
        }

        var epoch = (await grain.GetInfoAsync()).Epoch;

        // A second owner (as a new activation on another silo would) opens the log with the next epoch.
        var store = new FileLogStore(LogStoreOptions, TimeProvider.System);
        await using (var newer = await store.OpenAsync(new LogPartition(topic, 0), epoch + 1, LogConfig.Default, TestContext.Current.CancellationToken))
        {
            await Assert.ThrowsAsync<StaleEpochException>(() => grain.AppendAsync(OneRecordBatch("stale")).AsTask());
            Assert.Equal(1, newer.HighWatermark);
        }

        // The fenced activation stepped down; the next one takes a newer epoch and writes after the records before it.
        var offset = await PartitionReader.RetryAsync(() => grain.AppendAsync(OneRecordBatch("after")).AsTask());
        Assert.Equal(1, offset);
        Assert.True((await grain.GetInfoAsync()).Epoch > epoch + 1);
    }

    [Fact]
    public async Task A_stale_activation_stops_serving_reads_once_a_newer_one_took_the_log_and_readers_find_the_new_records()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await Broker.Admin.CreateTopicAsync(topic);
        var partition = new TopicPartition(topic, 0);
        var grain = Cluster.Client.GetGrain<IPartitionGrain>(partition.ToString());
        await grain.AppendAsync(OneRecordBatch("before"));
        var epoch = (await grain.GetInfoAsync()).Epoch;

        // A newer owner (a duplicate activation, as a membership change can make) takes the log and writes to it.
        var store = new FileLogStore(LogStoreOptions, TimeProvider.System);
        await using (var newer = await store.OpenAsync(new LogPartition(topic, 0), epoch + 1, LogConfig.Default, TestContext.Current.CancellationToken))
        {
            await newer.AppendAsync(OneRecordBatch("newer"), TestContext.Current.CancellationToken);

            // Reading from the old activation would show a frozen high watermark: it refuses, so the reader retries.
            await Assert.ThrowsAsync<StaleEpochException>(() => grain.FetchAsync(0, 1024 * 1024, TimeSpan.Zero).AsTask());
        }

        var records = await PartitionReader.ReadAsync(Cluster.Client, partition);
        Assert.Equal(["before", "newer"], records.Select(r => r.Value));
    }

    private async Task KillSiloHostingAsync(TopicPartition partition)
    {
        var management = Cluster.Client.GetGrain<IManagementGrain>(0);
        var statistics = await management.GetDetailedGrainStatistics();
        var host = statistics.Single(s => s.GrainId.Key.ToString() == partition.ToString()).SiloAddress;
        await Cluster.KillSiloAsync(Cluster.Silos.Single(s => s.SiloAddress.Equals(host)));
    }

    private static byte[] OneRecordBatch(string value)
    {
        using var builder = new Records.RecordBatchBuilder();
        builder.Append(1, default, true, Encoding.UTF8.GetBytes(value), false, default);
        return builder.Build().ToArray();
    }
}

/// <summary>The same silo kills and fencing on a log store that reads and writes with direct I/O.</summary>
public sealed class DirectIOFailoverTests() : FailoverTests(directIO: true);
