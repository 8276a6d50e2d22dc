using OrleansBroker.Records;

namespace OrleansBroker.Client.Producing;

/// <summary>One batch being filled or sent: its encoder, the records' shared completion, and the buffer bytes it holds.</summary>
internal sealed class ProducerBatch(TopicPartition topicPartition, RecordBatchBuilder builder, long createdTimestamp)
{
    public RecordBatchBuilder Builder => builder;

    public BatchCompletion Completion { get; } = new(topicPartition);

    /// <summary>When the first record arrived (<see cref="TimeProvider.GetTimestamp"/>), for the linger deadline.</summary>
    public long CreatedTimestamp => createdTimestamp;

    /// <summary>Producer buffer bytes reserved by the batch's records, released when the batch completes.</summary>
    public long ReservedBytes { get; set; }

    /// <summary>The encoded batch, set when the batch is taken to be sent.</summary>
    public ReadOnlyMemory<byte> Bytes { get; private set; }

    /// <summary>Encodes the batch with the idempotent producer's id and the sequence number of its first record.</summary>
    public void Encode(long producerId, int baseSequence) => Bytes = builder.Build(producerId, 0, baseSequence);
}
