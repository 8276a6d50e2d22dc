namespace OrleansBroker.Grains;

/// <summary>
/// One partition's ordered log. Key: <c>{topic}/{partition}</c> (<see cref="TopicPartition.ToString"/>).
/// Producers and consumers call it directly, never through the topic.
/// </summary>
[Alias("broker.IPartitionGrain")]
public interface IPartitionGrain : IGrainWithStringKey
{
    /// <summary>Brings the partition into existence with its topic's settings; called by the topic. Idempotent.</summary>
    [Alias("Initialize")]
    Task InitializeAsync(TopicConfig config);

    /// <summary>
    /// Appends one Kafka RecordBatch v2 and returns its base offset, once the batch is durable.
    /// Appends that arrive while a write is in flight are written together (group commit).
    /// </summary>
    /// <exception cref="CorruptRecordException">The batch failed its checks; nothing was written.</exception>
    /// <exception cref="RecordTooLargeException">The batch exceeds the topic's max message bytes.</exception>
    /// <exception cref="UnknownTopicOrPartitionException">The partition does not exist.</exception>
    /// <exception cref="StaleEpochException">This activation was fenced off by a newer one; retry.</exception>
    /// <exception cref="StorageErrorException">Storage failed the write; retry.</exception>
    /// <remarks>
    /// The batch is not copied on its way (<see cref="BatchBytes"/> is immutable to Orleans): a 512 KiB batch copied per
    /// call was the producer's largest cost. The caller must leave the buffer alone until the call completes; a caller in
    /// the same silo hands the grain its own buffer, into which the log writes the batch's base offset and leader epoch.
    /// A batch from another process arrives in a pooled buffer, which the grain gives back once the append is answered.
    /// </remarks>
    [Alias("Append")]
    ValueTask<long> AppendAsync(BatchBytes batch);

    /// <summary>
    /// Reads whole batches from <paramref name="offset"/>, up to <paramref name="maxBytes"/> (at least one batch).
    /// When no record is there yet, waits up to <paramref name="maxWait"/> for one (a long poll that never blocks appends).
    /// </summary>
    /// <exception cref="UnknownTopicOrPartitionException">The partition does not exist.</exception>
    /// <exception cref="StorageErrorException">Storage failed the read; retry.</exception>
    [Alias("Fetch")]
    ValueTask<FetchResult> FetchAsync(long offset, int maxBytes, TimeSpan maxWait);

    /// <summary>Looks up an offset: earliest, latest, or the first at or after a timestamp (null when there is none).</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The partition does not exist.</exception>
    [Alias("ListOffsets")]
    ValueTask<long?> ListOffsetsAsync(OffsetSpec spec);

    /// <summary>The partition's log start offset, high watermark and size.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The partition does not exist.</exception>
    [Alias("GetInfo")]
    ValueTask<PartitionInfo> GetInfoAsync();

    /// <summary>Deletes the partition's records and state; called by the topic.</summary>
    [Alias("Delete")]
    Task DeleteAsync();
}
