namespace OrleansBroker.Grains.Options;

/// <summary>Settings of queue groups on a silo, bound from the <c>Broker:Queues</c> configuration section.</summary>
public sealed class QueueOptions
{
    /// <summary>
    /// A record delivered this many times is written to the dead-letter topic instead of being delivered again.
    /// Between 1 and 100. Default: 5.
    /// </summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>
    /// The most records of one partition past its start offset (the first record not yet done) that a queue
    /// group tracks; acquisition stops at the window's end until the records at its start are done. Between 100
    /// and 100000. Default: 5000.
    /// </summary>
    public int WindowSize { get; set; } = 5_000;

    /// <summary>The dead-letter topic of a queue group; <c>{topic}</c> and <c>{group}</c> are replaced. Default: {topic}.{group}.dlq.</summary>
    public string DeadLetterTopicFormat { get; set; } = "{topic}.{group}.dlq";

    /// <summary>The most bytes one acquire reads from the partition (at least one whole batch). Default: 1048576 (1 MiB).</summary>
    public int MaxAcquireBytes { get; set; } = 1024 * 1024;

    /// <summary>The dead-letter topic name for a group's topic.</summary>
    public string DeadLetterTopic(string topic, string group) =>
        DeadLetterTopicFormat.Replace("{topic}", topic, StringComparison.Ordinal).Replace("{group}", group, StringComparison.Ordinal);

    internal IEnumerable<string> Validate()
    {
        if (MaxDeliveryAttempts is < 1 or > 100)
        {
            yield return "Broker:Queues:MaxDeliveryAttempts must be between 1 and 100.";
        }

        if (WindowSize is < 100 or > 100_000)
        {
            yield return "Broker:Queues:WindowSize must be between 100 and 100000.";
        }

        if (!TopicName.IsValid(DeadLetterTopic("t", "g")))
        {
            yield return "Broker:Queues:DeadLetterTopicFormat must make a valid topic name from {topic} and {group}.";
        }

        if (MaxAcquireBytes < 1024)
        {
            yield return "Broker:Queues:MaxAcquireBytes must be at least 1024.";
        }
    }
}
