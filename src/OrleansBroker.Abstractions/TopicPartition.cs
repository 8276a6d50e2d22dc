using System.Globalization;

namespace OrleansBroker;

/// <summary>One partition of a topic; its text form <c>{topic}/{partition}</c> is the partition grain's key.</summary>
[GenerateSerializer, Immutable]
[Alias("broker.TopicPartition")]
public readonly record struct TopicPartition
{
    /// <summary>Names a partition of a topic.</summary>
    public TopicPartition(string topic, int partition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        Topic = topic;
        Partition = partition;
    }

    /// <summary>The topic.</summary>
    [Id(0)]
    public string Topic { get; }

    /// <summary>The partition index, from 0.</summary>
    [Id(1)]
    public int Partition { get; }

    /// <summary>Parses the <c>{topic}/{partition}</c> form.</summary>
    public static TopicPartition Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var slash = value.LastIndexOf('/');
        if (slash <= 0 || !int.TryParse(value.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
        {
            throw new FormatException($"'{value}' is not of the form topic/partition.");
        }

        return new TopicPartition(value[..slash], partition);
    }

    /// <summary>The <c>{topic}/{partition}</c> form.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Topic}/{Partition}");
}

/// <summary>An offset in one partition: a position to commit or to seek to.</summary>
[GenerateSerializer, Immutable]
[Alias("broker.TopicPartitionOffset")]
public readonly record struct TopicPartitionOffset(
    [property: Id(0)] TopicPartition TopicPartition,
    [property: Id(1)] long Offset);
