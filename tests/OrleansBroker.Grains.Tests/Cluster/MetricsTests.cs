using System.Diagnostics.Metrics;
using OrleansBroker.Grains.Diagnostics;

namespace OrleansBroker.Grains.Tests.Cluster;

[Collection(BrokerClusterDefinition.Name)]
public sealed class MetricsTests(BrokerClusterFixture fixture)
{
    [Fact]
    public async Task Appends_and_fetches_are_counted_per_topic()
    {
        var topic = BrokerClusterFixture.NewTopic();
        await fixture.Broker.Admin.CreateTopicAsync(topic);
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == BrokerInstruments.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == BrokerInstruments.TopicTag && (string?)tag.Value == topic)
                {
                    lock (totals)
                    {
                        totals[instrument.Name] = totals.GetValueOrDefault(instrument.Name) + value;
                    }
                }
            }
        });
        listener.Start();

        await using (var producer = fixture.Broker.CreateProducer())
        {
            for (var i = 0; i < 10; i++)
            {
                _ = producer.ProduceAsync(topic, null, "0123456789").AsTask();
            }
        }

        var partition = fixture.Cluster.Client.GetGrain<IPartitionGrain>(new TopicPartition(topic, 0).ToString());
        var fetched = await partition.FetchAsync(0, 1024 * 1024, TimeSpan.Zero);

        lock (totals)
        {
            Assert.Equal(10, totals["broker.records.in"]);
            Assert.Equal(fetched.HighWatermark, totals["broker.records.in"]);
            Assert.Equal(fetched.Batches.Length, totals["broker.bytes.in"]);
            Assert.Equal(fetched.Batches.Length, totals["broker.bytes.out"]);
        }
    }
}
