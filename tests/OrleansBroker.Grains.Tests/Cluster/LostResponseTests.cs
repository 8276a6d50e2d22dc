using System.Globalization;
using Orleans.TestingHost;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>
/// The idempotent producer when appends succeed but their answers never reach it: the client's call filter lets the
/// append run on the broker and then fails the call with a timeout, as a lost response or a dropped connection would.
/// </summary>
public sealed class LostResponseTests : BrokerCluster
{
    private int _appends;
    private int _lost;

    protected override void Configure(InProcessTestClusterBuilder builder) =>
        builder.ConfigureClient(client => client.AddOutgoingGrainCallFilter(async context =>
        {
            await context.Invoke();

            // Every third answer to an append is lost after the batch was written.
            if (context.InterfaceMethod?.Name == nameof(IPartitionGrain.AppendAsync) && Interlocked.Increment(ref _appends) % 3 == 0)
            {
                Interlocked.Increment(ref _lost);
                throw new TimeoutException("The answer to this append was lost on purpose.");
            }
        }));

    [Fact]
    public async Task Retried_appends_whose_answers_were_lost_are_acknowledged_at_their_first_offsets_and_written_once()
    {
        const int Partitions = 3;
        var topic = BrokerClusterFixture.NewTopic();
        await Broker.Admin.CreateTopicAsync(topic, new TopicConfig { Partitions = Partitions });
        await using var producer = Broker.CreateProducer(new ProducerOptions { Linger = TimeSpan.FromMilliseconds(1), RetryBackoff = TimeSpan.FromMilliseconds(1) });

        var acknowledged = new List<(ProduceResult Result, string Value)>();
        for (var i = 0; i < 3_000; i += 100)
        {
            var window = Enumerable.Range(i, 100)
                .Select(j => (Pending: producer.ProduceAsync(topic, $"k{j % 11}", j.ToString("D6", CultureInfo.InvariantCulture)).AsTask(), Value: j.ToString("D6", CultureInfo.InvariantCulture)))
                .ToList();
            foreach (var (pending, value) in window)
            {
                acknowledged.Add((await pending, value));
            }
        }

        Assert.True(Volatile.Read(ref _lost) >= 10, $"Only {_lost} answers were lost; the test did not exercise retries.");
        await PartitionReader.AssertLogsHoldExactlyAsync(Cluster.Client, topic, Partitions, acknowledged);
    }
}
