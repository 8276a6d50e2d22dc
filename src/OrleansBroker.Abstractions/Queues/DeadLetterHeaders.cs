namespace OrleansBroker;

/// <summary>
/// The headers a queue group adds to a record it copies to its dead-letter topic, after the record's own
/// headers. Values are UTF-8 text.
/// </summary>
public static class DeadLetterHeaders
{
    /// <summary>Why the record was dead-lettered: the consumer's reject reason, or the delivery limit.</summary>
    public const string Reason = "dlq.reason";

    /// <summary>The queue group.</summary>
    public const string Group = "dlq.group";

    /// <summary>The topic the record came from.</summary>
    public const string Topic = "dlq.topic";

    /// <summary>The partition the record came from.</summary>
    public const string Partition = "dlq.partition";

    /// <summary>The record's offset in that partition.</summary>
    public const string Offset = "dlq.offset";

    /// <summary>How many times the record had been delivered.</summary>
    public const string DeliveryCount = "dlq.delivery-count";
}
