namespace OrleansBroker.Storage;

/// <summary>Names the log of one partition of a topic.</summary>
public readonly record struct LogPartition
{
    public LogPartition(string topic, int partition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        Topic = topic;
        Partition = partition;
    }

    public string Topic { get; }

    public int Partition { get; }

    /// <summary>Kafka's directory name for a partition: <c>{topic}-{partition}</c>.</summary>
    public override string ToString() => $"{Topic}-{Partition}";
}
