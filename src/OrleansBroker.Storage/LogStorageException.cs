namespace OrleansBroker.Storage;

/// <summary>
/// The log's storage failed: unreachable, failing or timing out beyond the storage client's retries. After a failed write,
/// the appends of that write were not acknowledged, though some may be stored all the same, and the log takes no more
/// appends: opening it again (with a new epoch) recovers its end from what storage holds. After a failed read or retention
/// run the log goes on taking appends; a failed delete may leave part of the log behind.
/// </summary>
public sealed class LogStorageException : Exception
{
    public LogStorageException()
    {
    }

    public LogStorageException(string message)
        : base(message)
    {
    }

    public LogStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
