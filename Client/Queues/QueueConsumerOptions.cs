namespace OrleansBroker.Client.Queues;

/// <summary>How a <see cref="QueueConsumer"/> acquires and acknowledges records.</summary>
public sealed record QueueConsumerOptions
{
    /// <summary>The defaults.</summary>
    public static QueueConsumerOptions Default { get; } = new();

    /// <summary>The member's id in the queue group; null for a new random one. Default: null.</summary>
    public string? MemberId { get; init; }

    /// <summary>The most records one acquire leases from one partition. Default: 500.</summary>
    public int MaxRecordsPerAcquire { get; init; } = 500;

    /// <summary>How long an acquired record stays leased to this member before it is delivered to another. Default: 30 s.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an acquire waits on the broker for a record before it returns empty. Default: 500 ms.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Acknowledgements of a partition are sent once this many are waiting (or every <see cref="AckInterval"/>). Default: 500.</summary>
    public int AckBatchSize { get; init; } = 500;

    /// <summary>The longest an acknowledgement waits before it is sent. Default: 5 ms.</summary>
    public TimeSpan AckInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The pause before calling again after a retriable error (a partition moving between silos). Default: 100 ms.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
}
