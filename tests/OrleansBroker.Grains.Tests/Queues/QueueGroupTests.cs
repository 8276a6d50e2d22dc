using System.Collections.Immutable;
using OrleansBroker.Client.Queues;
using OrleansBroker.Grains.Tests.Cluster;
using static OrleansBroker.Grains.Tests.Queues.QueueTestData;

namespace OrleansBroker.Grains.Tests.Queues;

[Collection(BrokerClusterDefinition.Name)]
public sealed class QueueGroupTests(BrokerClusterFixture fixture)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Four_members_on_two_partitions_acknowledge_every_record_exactly_once()
    {
        const int Records = 4_000;
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, partitions: 2, Records);
        var group = NewGroup();
        var options = new QueueConsumerOptions { MaxRecordsPerAcquire = 50, AckBatchSize = 20 };
        var members = Enumerable.Range(0, 4).Select(_ => fixture.Broker.CreateQueueConsumer(group, topic, options)).ToList();

        var acknowledged = await AcknowledgeAllAsync(members, Records, TestContext.Current.CancellationToken);
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }

        Assert.Equal(Enumerable.Range(0, Records).Select(Value).Order(), acknowledged.Order());
        var description = await fixture.Broker.Admin.DescribeQueueGroupAsync(group, topic);
        Assert.All(description, p => Assert.Equal((Records / 2L, Records / 2L, 0, 0L, Records / 2L, 0L), (p.StartOffset, p.HighWatermark, p.InFlight, p.Available, p.Acknowledged, p.DeadLettered)));
    }

    [Fact]
    public async Task A_member_of_a_topic_of_two_hundred_partitions_acknowledges_every_record_exactly_once()
    {
        const int Partitions = 200;
        const int Records = 300;
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, Partitions, Records);
        await using var member = fixture.Broker.CreateQueueConsumer(NewGroup(), topic, new QueueConsumerOptions { AckBatchSize = 10 });

        var acknowledged = await AcknowledgeAllAsync([member], Records, TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(0, Records).Select(Value).Order(), acknowledged.Order());
    }

    [Fact]
    public async Task Settling_a_record_not_leased_to_the_caller_throws_InvalidRecordStateException_and_changes_nothing()
    {
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, partitions: 1, 10);
        var grain = Grain(fixture.Cluster.Client, NewGroup(), topic, 0);
        var lease = await grain.AcquireAsync("a", 4, Lease, TimeSpan.Zero);
        Assert.Equal([0L, 1, 2, 3], lease.Offsets);

        await Assert.ThrowsAsync<InvalidRecordStateException>(() => grain.AcknowledgeAsync("b", [0]).AsTask());
        await Assert.ThrowsAsync<InvalidRecordStateException>(() => grain.AcknowledgeAsync("a", [0, 7]).AsTask());
        await Assert.ThrowsAsync<InvalidRecordStateException>(() => grain.ReleaseAsync("b", [1], TimeSpan.Zero).AsTask());
        await Assert.ThrowsAsync<InvalidRecordStateException>(() => grain.RejectAsync("b", [2], "no").AsTask());
        var unchanged = await grain.DescribeAsync();
        Assert.Equal((0L, 4, 0L, 6L), (unchanged.StartOffset, unchanged.InFlight, unchanged.Acknowledged, unchanged.Available));

        await grain.AcknowledgeAsync("a", [0, 1]);
        await Assert.ThrowsAsync<InvalidRecordStateException>(() => grain.AcknowledgeAsync("a", [1]).AsTask());
        var after = await grain.DescribeAsync();
        Assert.Equal((2L, 2, 2L), (after.StartOffset, after.InFlight, after.Acknowledged));
    }

    [Fact]
    public async Task A_released_record_is_delivered_again_with_its_delivery_count()
    {
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, partitions: 1, 3);
        var grain = Grain(fixture.Cluster.Client, NewGroup(), topic, 0);
        var first = await grain.AcquireAsync("a", 3, Lease, TimeSpan.Zero);

        await grain.ReleaseAsync("a", [1], TimeSpan.Zero);
        var again = await grain.AcquireAsync("b", 3, Lease, TimeSpan.Zero);

        Assert.Equal([1, 1, 1], first.DeliveryCounts.Select(c => (int)c));
        Assert.Equal([1L], again.Offsets);
        Assert.Equal([(short)2], again.DeliveryCounts);
        Assert.Equal("r1", Values(again)[1]);
    }

    [Fact]
    public async Task An_acquire_waits_for_a_record_appended_after_it_started()
    {
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, partitions: 1, 1);
        var grain = Grain(fixture.Cluster.Client, NewGroup(), topic, 0);
        await grain.AcquireAsync("a", 10, Lease, TimeSpan.Zero);

        var waiting = grain.AcquireAsync("a", 10, Lease, TimeSpan.FromSeconds(4)).AsTask();
        await using (var producer = fixture.Broker.CreateProducer())
        {
            await producer.ProduceAsync(topic, null, "late");
        }

        var lease = await waiting;
        Assert.Equal("late", Values(lease)[1]);
    }

    [Fact]
    public async Task A_poison_record_goes_to_the_dead_letter_topic_after_the_configured_attempts_and_stops_blocking()
    {
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, partitions: 1, 3);
        var group = NewGroup();
        await using var member = fixture.Broker.CreateQueueConsumer(group, topic, new QueueConsumerOptions { AckInterval = TimeSpan.FromMilliseconds(1) });
        var deliveries = new List<int>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(Patience.Records);

        // r1 is the poison record: it is always released. The queue must give up on it after five deliveries.
        var acknowledged = new List<string>();
        await foreach (var record in member.ConsumeAsync(stop.Token))
        {
            if (Text(record.Value!.Value) == "r1")
            {
                deliveries.Add(record.DeliveryCount);
                await record.ReleaseAsync();
            }
            else
            {
                acknowledged.Add(Text(record.Value!.Value));
                await record.AckAsync();
            }

            if (deliveries.Count == 5 && acknowledged.Count == 2)
            {
                break;
            }
        }

        // The acquire that finds r1 a sixth time dead-letters it: either the member's acquire in flight (which dispose
        // waits for) or, when that one ended before the last release, the next acquire of any member.
        await member.DisposeAsync();
        Assert.Empty((await Grain(fixture.Cluster.Client, group, topic, 0).AcquireAsync("other", 10, Lease, TimeSpan.Zero)).Offsets);

        Assert.Equal([1, 2, 3, 4, 5], deliveries);
        var deadLetters = await ReadAsync(fixture.Broker, $"{topic}.{group}.dlq", 1);
        var (value, headers) = Assert.Single(deadLetters);
        Assert.Equal("r1", value);
        Assert.Equal(group, headers[DeadLetterHeaders.Group]);
        Assert.Equal(topic, headers[DeadLetterHeaders.Topic]);
        Assert.Equal("0", headers[DeadLetterHeaders.Partition]);
        Assert.Equal("1", headers[DeadLetterHeaders.Offset]);
        Assert.Equal("5", headers[DeadLetterHeaders.DeliveryCount]);
        Assert.Contains("max delivery attempts", headers[DeadLetterHeaders.Reason], StringComparison.Ordinal);
        var description = (await fixture.Broker.Admin.DescribeQueueGroupAsync(group, topic))[0];
        Assert.Equal((3L, 0, 2L, 1L), (description.StartOffset, description.InFlight, description.Acknowledged, description.DeadLettered));
    }

    [Fact]
    public async Task A_rejected_record_goes_to_the_dead_letter_topic_at_once_with_the_reason()
    {
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, partitions: 1, 2);
        var group = NewGroup();
        var grain = Grain(fixture.Cluster.Client, group, topic, 0);
        await grain.AcquireAsync("a", 2, Lease, TimeSpan.Zero);

        await grain.RejectAsync("a", [1], "cannot parse");
        await grain.AcknowledgeAsync("a", [0]);

        var (value, headers) = Assert.Single(await ReadAsync(fixture.Broker, $"{topic}.{group}.dlq", 1));
        Assert.Equal(("r1", "cannot parse", "1"), (value, headers[DeadLetterHeaders.Reason], headers[DeadLetterHeaders.DeliveryCount]));
        var description = await grain.DescribeAsync();
        Assert.Equal((2L, 1L, 1L), (description.StartOffset, description.Acknowledged, description.DeadLettered));
        Assert.Empty((await grain.AcquireAsync("a", 2, Lease, TimeSpan.Zero)).Offsets);
    }

    [Fact]
    public async Task Acquisition_stops_at_the_end_of_the_window_until_its_start_is_done()
    {
        var topic = await CreateTopicWithRecordsAsync(fixture.Broker, partitions: 1, 5_100);
        var grain = Grain(fixture.Cluster.Client, NewGroup(), topic, 0);
        var leased = new List<long>();
        for (var lease = await grain.AcquireAsync("a", 1_000, Lease, TimeSpan.Zero); lease.Offsets.Length > 0; lease = await grain.AcquireAsync("a", 1_000, Lease, TimeSpan.Zero))
        {
            leased.AddRange(lease.Offsets);
        }

        Assert.Equal(Enumerable.Range(0, 5_000).Select(i => (long)i), leased);
        await grain.AcknowledgeAsync("a", ImmutableArray.Create(0L, 1L));
        Assert.Equal([5_000L, 5_001L], (await grain.AcquireAsync("a", 1_000, Lease, TimeSpan.Zero)).Offsets);
    }
}
