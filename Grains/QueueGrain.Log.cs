using Microsoft.Extensions.Logging;

namespace OrleansBroker.Grains;

public sealed partial class QueueGrain
{
    [LoggerMessage(1, LogLevel.Warning, "Queue {Queue} could not dead-letter {Count} record(s); they stay in the queue")]
    private static partial void LogDeadLetterFailed(ILogger logger, Exception exception, QueuePartitionId queue, int count);

    [LoggerMessage(2, LogLevel.Warning, "Queue {Queue} could not wait on its partition for new records")]
    private static partial void LogTailPollFailed(ILogger logger, Exception exception, QueuePartitionId queue);

    [LoggerMessage(3, LogLevel.Warning, "Queue {Queue}: retention deleted records {From} to {To} before the group was done with them")]
    private static partial void LogRecordsExpired(ILogger logger, QueuePartitionId queue, long from, long to);

    [LoggerMessage(4, LogLevel.Error, "Queue {Queue} could not write its delivery state")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, QueuePartitionId queue);

    [LoggerMessage(5, LogLevel.Information, "Queue {Queue} dead-lettered {Count} record(s) to {DeadLetterTopic}: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, QueuePartitionId queue, int count, string deadLetterTopic, string reason);
}
