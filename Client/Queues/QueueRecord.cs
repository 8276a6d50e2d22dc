using OrleansBroker.Records;

namespace OrleansBroker.Client.Queues;

/// <summary>
/// One record leased to a <see cref="QueueConsumer"/>: settle it with <see cref="AckAsync"/>, <see cref="ReleaseAsync"/>
/// or <see cref="RejectAsync"/> before its lease expires. Its key, value and headers are slices of the acquired batch.
/// </summary>
public readonly struct QueueRecord
{
    private readonly QueuePartition _partition;

    internal QueueRecord(QueuePartition partition, Record record, int deliveryCount)
    {
        _partition = partition;
        Record = record;
        DeliveryCount = deliveryCount;
    }

    /// <summary>The partition the record came from.</summary>
    public TopicPartition TopicPartition => _partition.TopicPartition;

    /// <summary>The record.</summary>
    public Record Record { get; }

    /// <summary>How many times the record has been delivered, this time included (1 the first time).</summary>
    public int DeliveryCount { get; }

    /// <summary>The record's offset.</summary>
    public long Offset => Record.Offset;

    /// <summary>The key, or null when the record has none.</summary>
    public ReadOnlyMemory<byte>? Key => Record.KeyIsNull ? default(ReadOnlyMemory<byte>?) : Record.Key;

    /// <summary>The value, or null for a tombstone.</summary>
    public ReadOnlyMemory<byte>? Value => Record.ValueIsNull ? default(ReadOnlyMemory<byte>?) : Record.Value;

    /// <summary>The headers, read from the batch as they are enumerated.</summary>
    public RecordHeaders Headers => Record.Headers;

    /// <summary>
    /// Acknowledges the record: it is done and never delivered again. The acknowledgement is queued and sent with
    /// others of its partition (see <see cref="QueueConsumerOptions.AckInterval"/>); <see cref="QueueConsumer.CommitAsync"/>
    /// waits until every acknowledgement so far is durable and reports any the broker refused.
    /// </summary>
    public ValueTask AckAsync() => _partition.AcknowledgeAsync(Offset);

    /// <summary>Gives the record back to the group: delivered again at once, or after <paramref name="delay"/>.</summary>
    /// <exception cref="InvalidRecordStateException">The record is no longer leased to this member (its lease expired).</exception>
    public ValueTask ReleaseAsync(TimeSpan? delay = null) => _partition.ReleaseAsync(Offset, delay ?? TimeSpan.Zero);

    /// <summary>Sends the record to the group's dead-letter topic with <paramref name="reason"/>; it is then done.</summary>
    /// <exception cref="InvalidRecordStateException">The record is no longer leased to this member (its lease expired).</exception>
    public ValueTask RejectAsync(string reason) => _partition.RejectAsync(Offset, reason);
}
