namespace OrleansBroker;

/// <summary>Which offset of a partition to look up.</summary>
[GenerateSerializer, Immutable]
[Alias("broker.OffsetSpec")]
public readonly record struct OffsetSpec
{
    private OffsetSpec(OffsetSpecKind kind, long timestamp)
    {
        Kind = kind;
        Timestamp = timestamp;
    }

    /// <summary>The first offset still in the log (the log start offset).</summary>
    public static OffsetSpec Earliest => new(OffsetSpecKind.Earliest, 0);

    /// <summary>The offset the next record will get (the high watermark).</summary>
    public static OffsetSpec Latest => new(OffsetSpecKind.Latest, 0);

    /// <summary>What kind of lookup this is.</summary>
    [Id(0)]
    public OffsetSpecKind Kind { get; }

    /// <summary>For <see cref="OffsetSpecKind.Timestamp"/>: Unix time in milliseconds.</summary>
    [Id(1)]
    public long Timestamp { get; }

    /// <summary>The first offset whose record's timestamp is at or after <paramref name="unixTimeMilliseconds"/>.</summary>
    public static OffsetSpec ForTimestamp(long unixTimeMilliseconds) => new(OffsetSpecKind.Timestamp, unixTimeMilliseconds);
}

/// <summary>The kinds of <see cref="OffsetSpec"/>.</summary>
[GenerateSerializer]
[Alias("broker.OffsetSpecKind")]
public enum OffsetSpecKind
{
    /// <summary>The log start offset.</summary>
    Earliest,

    /// <summary>The high watermark.</summary>
    Latest,

    /// <summary>The first offset at or after a timestamp.</summary>
    Timestamp,
}
