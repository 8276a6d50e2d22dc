using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using OrleansBroker.Client.Queues;
using OrleansBroker.Grains.Tests.Cluster;
using static OrleansBroker.Grains.Tests.Queues.QueueTestData;

namespace OrleansBroker.Grains.Tests.Queues;

/// <summary>Lease expiry and delayed release; each test runs its own cluster whose silos share a fake clock.</summary>
public sealed class QueueLeaseTests : BrokerCluster
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));

    protected override void Configure(InProcessTestClusterBuilder builder) =>
        builder.ConfigureSilo((_, silo) => silo.Services.AddSingleton<TimeProvider>(_time));

    [Fact]
    public async Task The_leases_of_a_killed_member_are_redelivered_to_another_after_they_expire()
    {
        var topic = await CreateTopicWithRecordsAsync(Broker, partitions: 2, 20);
        var group = NewGroup();
        var killed = Broker.CreateQueueConsumer(group, topic, new QueueConsumerOptions { LeaseDuration = Lease, MaxRecordsPerAcquire = 10, MaxWait = TimeSpan.Zero });
        var held = new List<QueueRecord>();
        using (var kill = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            // The member stops without releasing or acknowledging anything, as a crashed process would. Its acquires do
            // not wait on the broker, so the stream ends at once and no acquire of it is left in flight.
            await foreach (var record in killed.ConsumeAsync(kill.Token))
            {
                held.Add(record);
                if (held.Count == 20)
                {
                    break;
                }
            }
        }

        var partitions = Enumerable.Range(0, 2).Select(p => Grain(Cluster.Client, group, topic, p)).ToList();
        Assert.All(await Task.WhenAll(partitions.Select(p => p.AcquireAsync("other", 20, Lease, TimeSpan.Zero).AsTask())), l => Assert.Empty(l.Offsets));

        _time.Advance(Lease + TimeSpan.FromSeconds(1));
        var redelivered = await Task.WhenAll(partitions.Select(p => p.AcquireAsync("other", 20, Lease, TimeSpan.Zero).AsTask()));

        Assert.Equal(held.Select(r => (r.TopicPartition.Partition, r.Offset)).Order(), redelivered.SelectMany((l, p) => l.Offsets.Select(o => (p, o))).Order());
        Assert.All(redelivered, l => Assert.All(l.DeliveryCounts, c => Assert.Equal(2, c)));
        foreach (var record in held)
        {
            await record.AckAsync();
        }

        await Assert.ThrowsAsync<InvalidRecordStateException>(() => killed.CommitAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_release_with_a_delay_redelivers_the_record_only_after_the_delay()
    {
        var topic = await CreateTopicWithRecordsAsync(Broker, partitions: 1, 1);
        var grain = Grain(Cluster.Client, NewGroup(), topic, 0);
        await grain.AcquireAsync("a", 1, Lease, TimeSpan.Zero);

        await grain.ReleaseAsync("a", [0], TimeSpan.FromSeconds(10));
        var before = await grain.AcquireAsync("b", 1, Lease, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(9));
        var almost = await grain.AcquireAsync("b", 1, Lease, TimeSpan.Zero);
        var waiting = grain.AcquireAsync("b", 1, Lease, TimeSpan.FromSeconds(5)).AsTask();
        _time.Advance(TimeSpan.FromSeconds(1));
        var after = await waiting;

        Assert.Empty(before.Offsets);
        Assert.Empty(almost.Offsets);
        Assert.Equal([0L], after.Offsets);
        Assert.Equal([(short)2], after.DeliveryCounts);
    }
}
