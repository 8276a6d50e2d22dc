namespace OrleansBroker;

/// <summary>Stable error codes; where Kafka has the same error, the number is Kafka's.</summary>
[GenerateSerializer]
[Alias("broker.ErrorCode")]
public enum ErrorCode
{
    /// <summary>An error without a more specific code.</summary>
    Unknown = -1,

    /// <summary>The offset is below the log start offset or above the high watermark.</summary>
    OffsetOutOfRange = 1,

    /// <summary>A batch failed its checksum, length or record checks.</summary>
    CorruptRecord = 2,

    /// <summary>The topic or the partition does not exist.</summary>
    UnknownTopicOrPartition = 3,

    /// <summary>A record batch is larger than the topic allows.</summary>
    RecordTooLarge = 10,

    /// <summary>The topic name breaks Kafka's rule.</summary>
    InvalidTopicName = 17,

    /// <summary>The request names a generation of the group that is not the current one.</summary>
    IllegalGeneration = 22,

    /// <summary>The consumer group member is not known to the group.</summary>
    UnknownMember = 25,

    /// <summary>The group is rebalancing; rejoin.</summary>
    RebalanceInProgress = 27,

    /// <summary>A topic of that name already exists.</summary>
    TopicAlreadyExists = 36,

    /// <summary>The partition count is not valid.</summary>
    InvalidPartitions = 37,

    /// <summary>A topic setting is not valid.</summary>
    InvalidConfig = 40,

    /// <summary>A request argument is not valid.</summary>
    InvalidRequest = 42,

    /// <summary>An idempotent producer's batch does not follow its previous one.</summary>
    OutOfOrderSequence = 45,

    /// <summary>The partition's storage failed the request; retry.</summary>
    StorageError = 56,

    /// <summary>The group has active members, so the operation (an offset reset, say) is refused.</summary>
    NonEmptyGroup = 68,

    /// <summary>Another member took over the static group instance id.</summary>
    FencedInstanceId = 82,

    /// <summary>A queue record is not leased to the caller (its lease expired, or it was never acquired).</summary>
    InvalidRecordState = 121,

    /// <summary>A newer owner of the partition fenced this one off; retry.</summary>
    StaleEpoch = 74,
}
