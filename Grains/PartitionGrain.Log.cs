using Microsoft.Extensions.Logging;

namespace OrleansBroker.Grains;

public sealed partial class PartitionGrain
{
    [LoggerMessage(1, LogLevel.Debug, "Opened partition {Partition} at epoch {Epoch}: log start {LogStartOffset}, high watermark {HighWatermark}")]
    private static partial void LogOpened(ILogger logger, TopicPartition partition, int epoch, long logStartOffset, long highWatermark);

    [LoggerMessage(2, LogLevel.Warning, "Partition {Partition} epoch {Epoch} was fenced off by a newer activation; deactivating")]
    private static partial void LogFenced(ILogger logger, Exception exception, TopicPartition partition, int epoch);

    [LoggerMessage(3, LogLevel.Warning, "Partition {Partition} epoch {Epoch} is behind the log's epoch {LogEpoch}; taking a newer one")]
    private static partial void LogEpochBehind(ILogger logger, Exception exception, TopicPartition partition, int epoch, int logEpoch);

    [LoggerMessage(4, LogLevel.Warning, "Partition {Partition} epoch {Epoch}: a newer activation opened the log; this one stops serving and deactivates")]
    private static partial void LogSuperseded(ILogger logger, TopicPartition partition, int epoch);

    [LoggerMessage(5, LogLevel.Warning, "Partition {Partition} epoch {Epoch}: storage failed a write; deactivating, so the next activation reopens the log")]
    private static partial void LogStorageFailed(ILogger logger, Exception exception, TopicPartition partition, int epoch);

    [LoggerMessage(6, LogLevel.Warning, "Partition {Partition}: retention failed to delete the segments below log start offset {LogStartOffset}; readers no longer see them, appends go on, and the next check in {Interval} tries again")]
    private static partial void LogRetentionFailed(ILogger logger, Exception exception, TopicPartition partition, long logStartOffset, TimeSpan interval);

    [LoggerMessage(7, LogLevel.Information, "Partition {Partition}: retention deleted the expired segments again, after {Failures} failed checks")]
    private static partial void LogRetentionResumed(ILogger logger, TopicPartition partition, int failures);

    [LoggerMessage(8, LogLevel.Warning, "Partition {Partition} epoch {Epoch}: deleting the log failed part-way; the partition serves nothing until a retried delete finishes")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, TopicPartition partition, int epoch);
}
