namespace OrleansBroker.Client.Producing;

/// <summary>How a <see cref="Producer"/> batches, buffers and retries.</summary>
public sealed record ProducerOptions
{
    /// <summary>The defaults.</summary>
    public static ProducerOptions Default { get; } = new();

    /// <summary>How long a batch waits for more records before it is sent (Kafka's linger.ms). Default: 5 ms.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>A batch is sent once it reaches this many bytes (Kafka's batch.size); capped by the topic's max message bytes. Default: 524288.</summary>
    public int BatchBytes { get; init; } = 512 * 1024;

    /// <summary>The most bytes of records waiting to be acknowledged (Kafka's buffer.memory). Default: 67108864 (64 MiB).</summary>
    public long BufferBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>What <c>ProduceAsync</c> does when the buffer is full. Default: <see cref="BufferFullMode.Wait"/>.</summary>
    public BufferFullMode WhenBufferFull { get; init; } = BufferFullMode.Wait;

    /// <summary>How long a batch is retried after retriable errors before it fails (Kafka's delivery.timeout.ms). Default: 2 minutes.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The pause before a retry. Default: 100 ms.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often topics are looked up again for added partitions (Kafka's metadata.max.age.ms). Default: 5 minutes.</summary>
    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>What a producer does when its buffer is full.</summary>
public enum BufferFullMode
{
    /// <summary>Wait until acknowledgements free space (back-pressure).</summary>
    Wait,

    /// <summary>Fail at once with <see cref="ProducerBufferFullException"/>.</summary>
    Throw,
}

/// <summary>The producer's buffer is full and it was told not to wait.</summary>
public sealed class ProducerBufferFullException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProducerBufferFullException()
        : base("The producer's buffer is full: records are produced faster than the broker acknowledges them.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ProducerBufferFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ProducerBufferFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
