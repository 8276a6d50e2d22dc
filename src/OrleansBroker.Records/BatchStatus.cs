namespace OrleansBroker.Records;

/// <summary>What a check of a record batch found.</summary>
public enum BatchStatus
{
    /// <summary>The batch is whole and its checksum matches.</summary>
    Valid,

    /// <summary>The buffer ends before the batch does (a torn write at the tail of a log).</summary>
    Incomplete,

    /// <summary>The length field is smaller than a header, or disagrees with the bytes of a single batch.</summary>
    InvalidLength,

    /// <summary>The batch is larger than the limit.</summary>
    TooLarge,

    /// <summary>The magic byte is not 2.</summary>
    UnsupportedMagic,

    /// <summary>The record count or last offset delta cannot be right for the batch's size.</summary>
    InvalidRecordCount,

    /// <summary>The CRC-32C does not match the bytes.</summary>
    CrcMismatch,

    /// <summary>A record inside the batch is malformed.</summary>
    InvalidRecord,
}
