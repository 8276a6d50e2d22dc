using System.Diagnostics.Metrics;

namespace OrleansBroker.Grains.Diagnostics;

/// <summary>
/// The broker's metrics, on the meter <see cref="MeterName"/>: records and bytes appended and bytes fetched per
/// topic, and how long appends take until durable. Tags are few and fixed, so recording allocates nothing.
/// </summary>
public sealed class BrokerInstruments
{
    /// <summary>The meter every broker instrument belongs to.</summary>
    public const string MeterName = "OrleansBroker";

    /// <summary>The tag naming the topic.</summary>
    public const string TopicTag = "topic";

    public BrokerInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        RecordsIn = meter.CreateCounter<long>("broker.records.in", "{record}", "Records appended to partition logs");
        BytesIn = meter.CreateCounter<long>("broker.bytes.in", "By", "Record batch bytes appended to partition logs");
        BytesOut = meter.CreateCounter<long>("broker.bytes.out", "By", "Record batch bytes returned by fetches");
        AppendDuration = meter.CreateHistogram<double>("broker.append.duration", "ms", "Time from an append's arrival until its batch is durable");
    }

    public Counter<long> RecordsIn { get; }

    public Counter<long> BytesIn { get; }

    public Counter<long> BytesOut { get; }

    public Histogram<double> AppendDuration { get; }
}
