using OrleansBroker.Records;

namespace OrleansBroker.Storage.Engine;

/// <summary>
/// The idempotent-producer state of one log: per producer id, its epoch and the sequence numbers and offset of
/// its last batch (as Kafka's ProducerStateManager keeps). It tells a retried batch (acknowledge it with its
/// original offset, write nothing) from the next one (write it) and from a gap (refuse it). Batches without a
/// producer id (-1) are not tracked. Not thread-safe: the log calls it under its append lock, or while recovering.
/// </summary>
internal sealed class ProducerStateTable(TimeProvider time)
{
    /// <summary>A producer silent this long is forgotten, so the table does not grow with every producer ever seen.</summary>
    internal static readonly TimeSpan Expiration = TimeSpan.FromHours(1);

    private readonly Dictionary<long, ProducerEntry> _entries = [];
    private long _nextExpiryCheck;

    public int Count => _entries.Count;

    /// <summary>What to do with a batch: write it, answer it with its earlier append, or refuse it.</summary>
    public SequenceCheck Check(in RecordBatchHeader header, out Task<long>? earlierAppend)
    {
        earlierAppend = null;

        // The sweep runs at most once per expiration period, so an entry past it may still be here: it is
        // forgotten all the same, whatever other producers did meanwhile.
        if (header.ProducerId < 0 || !_entries.TryGetValue(header.ProducerId, out var entry) || IsExpired(entry, time.GetTimestamp()))
        {
            return SequenceCheck.Append;
        }

        if (header.ProducerEpoch != entry.Epoch)
        {
            return header.ProducerEpoch > entry.Epoch ? SequenceCheck.Append : SequenceCheck.FencedProducerEpoch;
        }

        if (header.BaseSequence == entry.FirstSequence && LastSequence(header) == entry.LastSequence)
        {
            earlierAppend = entry.Append;
            return SequenceCheck.Duplicate;
        }

        return header.BaseSequence == NextSequence(entry.LastSequence) ? SequenceCheck.Append : SequenceCheck.OutOfOrder;
    }

    /// <summary>Records the producer's newest batch (a new append, or one found by recovery).</summary>
    public void Record(in RecordBatchHeader header, Task<long> append)
    {
        if (header.ProducerId < 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        _entries[header.ProducerId] = new ProducerEntry(header.ProducerEpoch, header.BaseSequence, LastSequence(header), append, now);
        if (now >= _nextExpiryCheck)
        {
            _nextExpiryCheck = now + (long)(Expiration.TotalSeconds * time.TimestampFrequency);
            foreach (var (producerId, entry) in _entries)
            {
                if (IsExpired(entry, now))
                {
                    _entries.Remove(producerId);
                }
            }
        }
    }

    private bool IsExpired(in ProducerEntry entry, long now) => time.GetElapsedTime(entry.LastSeen, now) > Expiration;

    // Sequence numbers wrap from int.MaxValue to 0, as Kafka's do.
    private static int LastSequence(in RecordBatchHeader header) => (int)((header.BaseSequence + (long)header.LastOffsetDelta) % ((long)int.MaxValue + 1));

    private static int NextSequence(int sequence) => sequence == int.MaxValue ? 0 : sequence + 1;

    private readonly record struct ProducerEntry(short Epoch, int FirstSequence, int LastSequence, Task<long> Append, long LastSeen);
}

/// <summary>The outcome of <see cref="ProducerStateTable.Check"/>.</summary>
internal enum SequenceCheck
{
    Append,
    Duplicate,
    OutOfOrder,
    FencedProducerEpoch,
}
