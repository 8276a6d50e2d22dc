namespace OrleansBroker.Storage;

/// <summary>
/// Where partition logs live. One instance serves every partition of a silo; the grain that owns a
/// partition opens its log on activation and disposes it on deactivation.
/// </summary>
public interface ILogStore
{
    /// <summary>
    /// Opens the log of one partition, creating it when it does not exist, recovering it (a torn or
    /// corrupt tail is truncated) and fencing off every writer that opened it with a lower epoch.
    /// </summary>
    /// <param name="partition">The partition, e.g. topic "orders" partition 3.</param>
    /// <param name="epoch">The opener's epoch; it must be higher than that of any earlier opener.</param>
    /// <param name="config">Segment, retention and durability settings.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="StaleEpochException">A writer with an equal or higher epoch already opened the log.</exception>
    /// <exception cref="LogStorageException">Storage failed past its retries; opening again may succeed.</exception>
    ValueTask<IPartitionLog> OpenAsync(LogPartition partition, int epoch, LogConfig config, CancellationToken cancellationToken = default);
}
