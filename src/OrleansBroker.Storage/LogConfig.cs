namespace OrleansBroker.Storage;

/// <summary>Settings of one partition log.</summary>
public sealed record LogConfig
{
    /// <summary>The default settings.</summary>
    public static LogConfig Default { get; } = new();

    /// <summary>The active segment rolls once it holds this many bytes. Default: 128 MiB.</summary>
    public long SegmentBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>The active segment rolls once its first batch is this old. Default: 7 days.</summary>
    public TimeSpan SegmentAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Whole segments whose newest record is older than this are deleted; null keeps them. Default: 7 days.</summary>
    public TimeSpan? RetentionTime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The oldest whole segments are deleted while the log exceeds this size; null keeps them. Default: null.</summary>
    public long? RetentionBytes { get; init; }

    /// <summary>The largest batch the log accepts, in bytes. Default: 1 MiB plus the batch overhead.</summary>
    public int MaxBatchBytes { get; init; } = 1024 * 1024 + 12;

    /// <summary>A batch is acknowledged only after an fsync of the group commit that holds it. Default: true.</summary>
    public bool FlushOnCommit { get; init; } = true;

    /// <summary>One sparse index entry is written per this many bytes of log. Default: 4096.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;
}
