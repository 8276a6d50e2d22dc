using System.Globalization;
using System.Text;
using OrleansBroker.Client;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>Records for consumer group tests.</summary>
internal static class GroupTestData
{
    /// <summary>Writes the records numbered <paramref name="from"/> on, record i (its number as text) to partition i modulo <paramref name="partitions"/>.</summary>
    public static async Task ProduceAsync(BrokerClient broker, string topic, int partitions, int from, int count)
    {
        await using var producer = broker.CreateProducer();
        await Task.WhenAll(Enumerable.Range(from, count).Select(i => producer.ProduceAsync(
            new TopicPartition(topic, i % partitions), null, Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture))).AsTask()));
    }
}
