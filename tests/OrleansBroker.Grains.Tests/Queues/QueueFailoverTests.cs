using System.Collections.Concurrent;
using OrleansBroker.Client.Queues;
using OrleansBroker.Grains.Tests.Cluster;
using static OrleansBroker.Grains.Tests.Queues.QueueTestData;

namespace OrleansBroker.Grains.Tests.Queues;

/// <summary>A silo kill under a queue group; the test runs its own cluster because it kills a silo.</summary>
public sealed class QueueFailoverTests() : BrokerCluster(silos: 3)
{

    [Fact]
    public async Task A_silo_kill_loses_no_acknowledged_state_and_no_unacknowledged_record()
    {
        const int Records = 2_000;
        var topic = await CreateTopicWithRecordsAsync(Broker, partitions: 2, Records);
        var group = NewGroup();
        var acknowledged = new HashSet<string>();
        var first = Broker.CreateQueueConsumer(group, topic, new QueueConsumerOptions { MaxRecordsPerAcquire = 100 });
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            await foreach (var record in first.ConsumeAsync(stop.Token))
            {
                await record.AckAsync();
                acknowledged.Add(Text(record.Value!.Value));
                if (acknowledged.Count == Records / 2)
                {
                    break;
                }
            }
        }

        // Every acknowledgement is durable; the member still holds leased records it never settled.
        await first.CommitAsync(TestContext.Current.CancellationToken);
        await KillSiloHostingAsync(new QueuePartitionId(group, new TopicPartition(topic, 0)).ToString());
        await first.DisposeAsync();

        var redelivered = new ConcurrentDictionary<string, int>();
        await using var second = Broker.CreateQueueConsumer(group, topic);
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            stop.CancelAfter(Patience.Records);
            await foreach (var record in second.ConsumeAsync(stop.Token))
            {
                var value = Text(record.Value!.Value);
                Assert.DoesNotContain(value, acknowledged);
                redelivered.AddOrUpdate(value, 1, (_, n) => n + 1);
                await record.AckAsync();
                if (redelivered.Count == Records - acknowledged.Count)
                {
                    break;
                }
            }
        }

        await second.CommitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(0, Records).Select(Value).Order(), acknowledged.Concat(redelivered.Keys).Order());
        Assert.All(redelivered.Values, n => Assert.Equal(1, n));
    }

    private async Task KillSiloHostingAsync(string grainKey)
    {
        var management = Cluster.Client.GetGrain<IManagementGrain>(0);
        var statistics = await management.GetDetailedGrainStatistics();
        var host = statistics.Single(s => s.GrainId.Key.ToString() == grainKey).SiloAddress;
        await Cluster.KillSiloAsync(Cluster.Silos.Single(s => s.SiloAddress.Equals(host)));
    }
}
