namespace OrleansBroker.Storage;

/// <summary>
/// The log's storage failed a write: unreachable, failing or timing out beyond the storage client's retries. The appends
/// of that write were not acknowledged, though some may be stored all the same. The log takes no more appends: opening it
/// again (with a new epoch) recovers its end from what storage holds.
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
