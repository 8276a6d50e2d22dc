using System.Diagnostics.Metrics;

namespace OrleansBroker.Grains.Diagnostics;

/// <summary>
/// The broker's metrics, on the meter <see cref="MeterName"/>: records and bytes appended and bytes fetched per
/// topic, how long appends take until durable and how long fetches take to read. Tags are few and fixed, so
/// recording allocates nothing. Instrument names start with <c>orleansbroker.</c>, so scraped metrics do not
/// collide with other applications' (<c>orleansbroker_records_in_total</c> in Prometheus).
/// </summary>
public sealed class BrokerInstruments
{
    /// <summary>The meter every broker instrument belongs to.</summary>
    public const string MeterName = "OrleansBroker";

    /// <summary>The tag naming the topic.</summary>
    public const string TopicTag = "topic";

    // Appends wait for an fsync (about a millisecond) and reads often take less: the default buckets start at 5 ms.
    private static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    };

    public BrokerInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        RecordsIn = meter.CreateCounter<long>("orleansbroker.records.in", "{record}", "Records appended to partition logs");
        BytesIn = meter.CreateCounter<long>("orleansbroker.bytes.in", "By", "Record batch bytes appended to partition logs");
        BytesOut = meter.CreateCounter<long>("orleansbroker.bytes.out", "By", "Record batch bytes returned by fetches");
        AppendDuration = meter.CreateHistogram<double>("orleansbroker.append.duration", "ms", "Time from an append's arrival until its batch is durable", advice: DurationBuckets);
        FetchDuration = meter.CreateHistogram<double>("orleansbroker.fetch.duration", "ms", "Time a fetch takes to read its batches from the log, after any long-poll wait", advice: DurationBuckets);
    }

    public Counter<long> RecordsIn { get; }

    public Counter<long> BytesIn { get; }

    public Counter<long> BytesOut { get; }

    public Histogram<double> AppendDuration { get; }

    public Histogram<double> FetchDuration { get; }
}
