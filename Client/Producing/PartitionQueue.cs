using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Producing;

/// <summary>
/// The batches of one partition: the open one that takes records, sealed ones that wait, and whether one is in
/// flight. At most one batch per partition is in flight, so batches are written in the order they were filled.
/// Each batch carries this queue's idempotent producer id and the sequence number of its first record, so the
/// broker acknowledges a retried batch with its original offset instead of writing it twice.
/// Every member is called under <see cref="Lock"/>.
/// </summary>
internal sealed class PartitionQueue(TopicPartition topicPartition, IPartitionGrain grain, int maxBatchBytes)
{
    private readonly Queue<ProducerBatch> _sealed = new();
    private ProducerBatch? _open;
    private ProducerBatch? _last;
    private long _producerId = NewProducerId();
    private int _nextSequence;

    public Lock Lock { get; } = new();

    public TopicPartition TopicPartition => topicPartition;

    public IPartitionGrain Grain => grain;

    public bool InFlight { get; set; }

    /// <summary>
    /// Adds a record to the open batch, sealing it first when the record would not fit; or, when
    /// <paramref name="mayOpenBatch"/> is false and the record would start a new batch, adds nothing and returns false.
    /// <paramref name="wake"/> says whether the sender should look at this queue now. The clock is read only to open a batch.
    /// </summary>
    public bool TryAppend(
        in ProducerRecord record,
        bool mayOpenBatch,
        TimeProvider clock,
        Func<RecordBatchBuilder> rentBuilder,
        out BatchCompletion completion,
        out int index,
        out bool wake)
    {
        wake = false;
        if (_open is { } open && record.TryAppendTo(open.Builder, maxBatchBytes))
        {
            return Appended(open, record, out completion, out index);
        }

        if (!mayOpenBatch)
        {
            completion = null!;
            index = 0;
            return false;
        }

        if (_open is not null)
        {
            SealOpen();
        }

        // The producer checked that the record fits an empty batch, so the new batch takes it.
        _open = new ProducerBatch(topicPartition, rentBuilder(), clock.GetTimestamp());
        _last = _open;
        wake = true;
        record.TryAppendTo(_open.Builder, int.MaxValue);
        return Appended(_open, record, out completion, out index);
    }

    /// <summary>
    /// The next batch to send, when none is in flight and one is sealed or has lingered long enough;
    /// otherwise null, with the time the open batch will be due (or <see cref="long.MaxValue"/>).
    /// </summary>
    public ProducerBatch? TakeSendable(long now, long lingerTicks, out long dueAt)
    {
        dueAt = long.MaxValue;
        if (InFlight)
        {
            return null;
        }

        if (_sealed.Count == 0 && _open is { } open)
        {
            if (now - open.CreatedTimestamp < lingerTicks)
            {
                dueAt = open.CreatedTimestamp + lingerTicks;
                return null;
            }

            SealOpen();
        }

        if (_sealed.TryDequeue(out var batch))
        {
            InFlight = true;
            batch.Encode(_producerId, _nextSequence);
            _nextSequence = (int)((_nextSequence + (long)batch.Builder.Count) % ((long)int.MaxValue + 1));
            return batch;
        }

        return null;
    }

    /// <summary>
    /// After a batch failed for good, it may or may not have been written: continuing its sequence could make the
    /// broker take the next batch for a retry of it. A fresh producer id starts a new, unambiguous sequence.
    /// </summary>
    public void ResetProducer()
    {
        _producerId = NewProducerId();
        _nextSequence = 0;
    }

    private static long NewProducerId() => Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>Seals the open batch so it is sent without lingering; returns the queue's newest batch, if any.</summary>
    public ProducerBatch? SealForFlush()
    {
        if (_open is not null)
        {
            SealOpen();
        }

        return _last;
    }

    private static bool Appended(ProducerBatch batch, in ProducerRecord record, out BatchCompletion completion, out int index)
    {
        batch.ReservedBytes += record.Size;
        completion = batch.Completion;
        index = batch.Builder.Count - 1;
        return true;
    }

    private void SealOpen()
    {
        _sealed.Enqueue(_open!);
        _open = null;
    }
}
