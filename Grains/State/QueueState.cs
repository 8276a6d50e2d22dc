namespace OrleansBroker.Grains.State;

/// <summary>
/// The durable delivery state of one partition in one queue group: small (about one byte per record of the
/// window), so it fits grain storage that caps state near 1 MiB. Leases are not kept: after a failover the
/// records they held are delivered again, with their delivery counts.
/// </summary>
[GenerateSerializer]
[Alias("broker.QueueState")]
public sealed class QueueState
{
    /// <summary>Every record below this offset is done.</summary>
    [Id(0)]
    public long StartOffset { get; set; }

    /// <summary>One byte per record from <see cref="StartOffset"/>: 255 when done, else its delivery count.</summary>
    [Id(1)]
    public byte[] Window { get; set; } = [];

    /// <summary>Records acknowledged, in all.</summary>
    [Id(2)]
    public long Acknowledged { get; set; }

    /// <summary>Records dead-lettered, in all.</summary>
    [Id(3)]
    public long DeadLettered { get; set; }
}
