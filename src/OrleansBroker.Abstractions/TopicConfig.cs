namespace OrleansBroker;

/// <summary>The settings a topic is created with.</summary>
[GenerateSerializer, Immutable]
[Alias("broker.TopicConfig")]
public sealed record TopicConfig
{
    /// <summary>The most partitions a topic may have.</summary>
    public const int MaxPartitions = 10_000;

    /// <summary>The defaults: one partition, 7 days of retention, no size limit, 1 MiB batches.</summary>
    public static TopicConfig Default { get; } = new();

    /// <summary>The number of partitions. Default: 1.</summary>
    [Id(0)]
    public int Partitions { get; init; } = 1;

    /// <summary>How long records are kept, in milliseconds; -1 keeps them forever. Default: 604800000 (7 days).</summary>
    [Id(1)]
    public long RetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>The most bytes a partition keeps before its oldest segments are deleted; -1 for no limit. Default: -1.</summary>
    [Id(2)]
    public long RetentionBytes { get; init; } = -1;

    /// <summary>The largest record batch accepted, in bytes (Kafka's max.message.bytes). Default: 1048588.</summary>
    [Id(3)]
    public int MaxMessageBytes { get; init; } = 1024 * 1024 + 12;

    /// <summary>A partition's active segment rolls at this size, in bytes. Default: 134217728 (128 MiB).</summary>
    [Id(4)]
    public long SegmentBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>Throws <see cref="InvalidPartitionsException"/> or <see cref="InvalidConfigException"/> for settings out of range.</summary>
    public void Validate()
    {
        if (Partitions is <= 0 or > MaxPartitions)
        {
            throw new InvalidPartitionsException($"A topic needs 1 to {MaxPartitions} partitions, not {Partitions}.");
        }

        if (RetentionMs is 0 or < -1)
        {
            throw new InvalidConfigException($"retention.ms must be positive or -1, not {RetentionMs}.");
        }

        if (RetentionBytes is 0 or < -1)
        {
            throw new InvalidConfigException($"retention.bytes must be positive or -1, not {RetentionBytes}.");
        }

        if (MaxMessageBytes is < 128 or > 64 * 1024 * 1024)
        {
            throw new InvalidConfigException($"max.message.bytes must be between 128 and 67108864, not {MaxMessageBytes}.");
        }

        if (SegmentBytes < 1024 * 1024 || SegmentBytes < MaxMessageBytes)
        {
            throw new InvalidConfigException($"segment.bytes must be at least 1 MiB and at least max.message.bytes, not {SegmentBytes}.");
        }
    }
}
