using System.Diagnostics.Metrics;
using OrleansBroker.Grains.Diagnostics;

namespace OrleansBroker.Grains.Tests.Cluster;

[Collection(BrokerClusterDefinition.Name)]
public sealed class MetricsTests(BrokerClusterFixture fixture)
{
    [Fact]
    public async Task Appends_and_fetches_are_counted_and_timed_per_topic()
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
        void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
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
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));

        // Durations are counted, not summed: how many appends and fetches were timed.
        listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) => Add(instrument, 1, tags));
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
            Assert.Equal(10, totals["orleansbroker.records.in"]);
            Assert.Equal(fetched.HighWatermark, totals["orleansbroker.records.in"]);
            Assert.Equal(fetched.Batches.Length, totals["orleansbroker.bytes.in"]);
            Assert.Equal(fetched.Batches.Length, totals["orleansbroker.bytes.out"]);
            Assert.InRange(totals["orleansbroker.append.duration"], 1, 10);
            Assert.Equal(1, totals["orleansbroker.fetch.duration"]);
        }
    }
}
