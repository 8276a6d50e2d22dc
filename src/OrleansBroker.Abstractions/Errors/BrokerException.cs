namespace OrleansBroker;

/// <summary>
/// The base of every error the broker reports. It crosses grain calls, carries a stable
/// <see cref="ErrorCode"/>, and says whether the same request may succeed if retried.
/// </summary>
[GenerateSerializer]
[Alias("broker.BrokerException")]
public class BrokerException : Exception
{
    /// <summary>Creates an error with the code <see cref="ErrorCode.Unknown"/>.</summary>
    public BrokerException()
    {
    }

    /// <summary>Creates an error with the code <see cref="ErrorCode.Unknown"/>.</summary>
    public BrokerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an error with the code <see cref="ErrorCode.Unknown"/> and its cause.</summary>
    public BrokerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an error with a code.</summary>
    public BrokerException(ErrorCode errorCode, string message)
        : base(message) => ErrorCode = errorCode;

    /// <summary>What went wrong, as a stable code.</summary>
    [Id(0)]
    public ErrorCode ErrorCode { get; private set; } = ErrorCode.Unknown;

    /// <summary>True when the same request may succeed if sent again.</summary>
    public virtual bool IsRetriable => false;
}

/// <summary>The topic or the partition does not exist.</summary>
[GenerateSerializer]
[Alias("broker.UnknownTopicOrPartitionException")]
public sealed class UnknownTopicOrPartitionException(string message) : BrokerException(ErrorCode.UnknownTopicOrPartition, message);

/// <summary>The topic name breaks Kafka's rule: 1 to 249 characters of [a-zA-Z0-9._-], and neither "." nor "..".</summary>
[GenerateSerializer]
[Alias("broker.InvalidTopicNameException")]
public sealed class InvalidTopicNameException(string message) : BrokerException(ErrorCode.InvalidTopicName, message);

/// <summary>A topic of that name already exists.</summary>
[GenerateSerializer]
[Alias("broker.TopicAlreadyExistsException")]
public sealed class TopicAlreadyExistsException(string message) : BrokerException(ErrorCode.TopicAlreadyExists, message);

/// <summary>A record batch is larger than the topic's maximum.</summary>
[GenerateSerializer]
[Alias("broker.RecordTooLargeException")]
public sealed class RecordTooLargeException(string message) : BrokerException(ErrorCode.RecordTooLarge, message);

/// <summary>A record batch failed its checksum, length or record checks; nothing of it was written.</summary>
[GenerateSerializer]
[Alias("broker.CorruptRecordException")]
public sealed class CorruptRecordException(string message) : BrokerException(ErrorCode.CorruptRecord, message);

/// <summary>The offset is below the log start offset or above the high watermark.</summary>
[GenerateSerializer]
[Alias("broker.OffsetOutOfRangeException")]
public sealed class OffsetOutOfRangeException(string message) : BrokerException(ErrorCode.OffsetOutOfRange, message);

/// <summary>The partition count is not valid (zero, negative, too many, or fewer than the topic has).</summary>
[GenerateSerializer]
[Alias("broker.InvalidPartitionsException")]
public sealed class InvalidPartitionsException(string message) : BrokerException(ErrorCode.InvalidPartitions, message);

/// <summary>A topic setting is not valid.</summary>
[GenerateSerializer]
[Alias("broker.InvalidConfigException")]
public sealed class InvalidConfigException(string message) : BrokerException(ErrorCode.InvalidConfig, message);

/// <summary>A request argument is not valid.</summary>
[GenerateSerializer]
[Alias("broker.InvalidRequestException")]
public sealed class InvalidRequestException(string message) : BrokerException(ErrorCode.InvalidRequest, message);

/// <summary>An idempotent producer's batch does not follow its previous one (a gap, or an older producer epoch); nothing was written.</summary>
[GenerateSerializer]
[Alias("broker.OutOfOrderSequenceException")]
public sealed class OutOfOrderSequenceException(string message) : BrokerException(ErrorCode.OutOfOrderSequence, message);

/// <summary>The request names a generation of the group that is not the current one; rejoin and retry.</summary>
[GenerateSerializer]
[Alias("broker.IllegalGenerationException")]
public sealed class IllegalGenerationException(string message) : BrokerException(ErrorCode.IllegalGeneration, message);

/// <summary>The member is not (or no longer) in the group; rejoin.</summary>
[GenerateSerializer]
[Alias("broker.UnknownMemberException")]
public sealed class UnknownMemberException(string message) : BrokerException(ErrorCode.UnknownMember, message);

/// <summary>The group is rebalancing; the member learns its new assignment from its next heartbeat.</summary>
[GenerateSerializer]
[Alias("broker.RebalanceInProgressException")]
public sealed class RebalanceInProgressException(string message) : BrokerException(ErrorCode.RebalanceInProgress, message)
{
    /// <inheritdoc />
    public override bool IsRetriable => true;
}

/// <summary>The group has active members, so the operation is refused.</summary>
[GenerateSerializer]
[Alias("broker.NonEmptyGroupException")]
public sealed class NonEmptyGroupException(string message) : BrokerException(ErrorCode.NonEmptyGroup, message);

/// <summary>Another member joined with the same static group instance id and took its place.</summary>
[GenerateSerializer]
[Alias("broker.FencedInstanceIdException")]
public sealed class FencedInstanceIdException(string message) : BrokerException(ErrorCode.FencedInstanceId, message);

/// <summary>A queue record is not leased to the caller: its lease expired, it was never acquired, or it is already done.</summary>
[GenerateSerializer]
[Alias("broker.InvalidRecordStateException")]
public sealed class InvalidRecordStateException(string message) : BrokerException(ErrorCode.InvalidRecordState, message);

/// <summary>A newer activation of the partition took it over; this request wrote nothing and may be retried.</summary>
[GenerateSerializer]
[Alias("broker.StaleEpochException")]
public sealed class StaleEpochException(string message) : BrokerException(ErrorCode.StaleEpoch, message)
{
    /// <inheritdoc />
    public override bool IsRetriable => true;
}

/// <summary>
/// Storage failed the request: a partition's log, or the metadata storage of a topic, group, queue or registry (unreachable,
/// failing or timing out past its retries, or an ETag race lost). A failed append may be stored all the same (an idempotent
/// producer's retry is then answered with its offset, not written twice). Retry: the grain opens its log, or reads its
/// state, again from storage.
/// </summary>
[GenerateSerializer]
[Alias("broker.StorageErrorException")]
public sealed class StorageErrorException(string message) : BrokerException(ErrorCode.StorageError, message)
{
    /// <inheritdoc />
    public override bool IsRetriable => true;
}
