using OrleansBroker.Records;

namespace OrleansBroker.Storage;

/// <summary>
/// The ordered, append-only log of one partition: a list of segments holding Kafka RecordBatch v2
/// bytes. One writer (the partition grain's activation) appends; any number of readers fetch.
/// Thread-safe: appends may be issued from one thread while reads run on others.
/// </summary>
public interface IPartitionLog : IAsyncDisposable
{
    /// <summary>The first offset still retained.</summary>
    long LogStartOffset { get; }

    /// <summary>The offset after the last durable (acknowledged) record: readers see offsets below it.</summary>
    long HighWatermark { get; }

    /// <summary>The offset the next appended batch will get (at or above the high watermark).</summary>
    long NextOffset { get; }

    /// <summary>Total bytes held by the log's segments.</summary>
    long SizeInBytes { get; }

    /// <summary>
    /// True once a newer writer of this process opened the log: this instance no longer sees new records, so its owner
    /// must stop serving reads as well as appends. (A writer in another process is found out by the next append.)
    /// </summary>
    bool IsFenced { get; }

    /// <summary>
    /// Appends one validated batch. Before this method returns, the batch's offsets are assigned (its
    /// <c>baseOffset</c> and <c>partitionLeaderEpoch</c> fields are written in place), so calls keep
    /// their order; the returned task completes with the base offset once the batch is durable, written
    /// together with every other batch queued meanwhile (group commit). The caller must not touch
    /// <paramref name="batch"/> until the task completes; the log does not retain it afterwards.
    /// </summary>
    /// <exception cref="StaleEpochException">A newer writer opened the log; nothing of this batch was written.</exception>
    /// <exception cref="LogStorageException">
    /// Storage failed the write past its retries; the batch may be stored all the same, and the log takes no more appends
    /// (open it again to go on).
    /// </exception>
    /// <exception cref="ArgumentException">The batch is larger than <see cref="LogConfig.MaxBatchBytes"/>.</exception>
    ValueTask<long> AppendAsync(Memory<byte> batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends a batch the caller validated already (see <see cref="RecordBatchValidator"/>): as
    /// <see cref="AppendAsync(Memory{byte}, CancellationToken)"/>, without reading its header or checking its CRC again.
    /// </summary>
    /// <exception cref="StaleEpochException">A newer writer opened the log; nothing of this batch was written.</exception>
    /// <exception cref="LogStorageException">Storage failed the write past its retries (see the other overload).</exception>
    /// <exception cref="ArgumentException">The batch is larger than <see cref="LogConfig.MaxBatchBytes"/>.</exception>
    ValueTask<long> AppendAsync(ValidatedBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads whole batches, starting with the batch that holds <paramref name="offset"/>, up to
    /// <paramref name="maxBytes"/> (but always at least one whole batch when one is there), below the high watermark.
    /// </summary>
    /// <exception cref="LogStorageException">Storage failed the read past its retries; the log is unchanged.</exception>
    ValueTask<LogReadResult> ReadAsync(long offset, int maxBytes, CancellationToken cancellationToken = default);

    /// <summary>Completes once the high watermark is above <paramref name="offset"/>, or the token is cancelled.</summary>
    Task WaitForDataAsync(long offset, CancellationToken cancellationToken);

    /// <summary>The offset of the first record whose timestamp is at or after <paramref name="timestamp"/> (Unix ms), or null when none is.</summary>
    ValueTask<long?> FindOffsetByTimestampAsync(long timestamp, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes whole segments past the retention time or size (never the active one); returns the new log start offset.
    /// Readers no longer see an expired segment even when storage fails to delete it: it is deleted at the next call.
    /// </summary>
    /// <exception cref="LogStorageException">
    /// Storage failed to delete a segment past its retries; readers see the log as after a call that succeeded, appends go
    /// on, and the next call deletes what is left.
    /// </exception>
    /// <exception cref="StaleEpochException">A newer writer opened the log.</exception>
    ValueTask<long> EnforceRetentionAsync(CancellationToken cancellationToken = default);

    /// <summary>Closes the log and deletes all of its data.</summary>
    /// <exception cref="LogStorageException">
    /// Storage failed past its retries, part of the data may be deleted already: what is left must not take appends (its
    /// offsets could start anywhere), so open it again only to delete it.
    /// </exception>
    /// <exception cref="StaleEpochException">A newer writer opened the log; nothing was deleted.</exception>
    ValueTask DeleteAsync(CancellationToken cancellationToken = default);
}
