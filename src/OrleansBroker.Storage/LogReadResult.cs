namespace OrleansBroker.Storage;

/// <summary>What a read returned.</summary>
public readonly record struct LogReadResult(LogReadStatus Status, ReadOnlyMemory<byte> Batches, long LogStartOffset, long HighWatermark);

/// <summary>The outcome of a read.</summary>
public enum LogReadStatus
{
    /// <summary>Batches holds zero or more whole batches (zero when the offset is at the high watermark).</summary>
    Ok,

    /// <summary>The offset is below the log start offset or above the high watermark.</summary>
    OffsetOutOfRange,
}
