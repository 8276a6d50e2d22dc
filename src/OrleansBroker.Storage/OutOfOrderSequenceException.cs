namespace OrleansBroker.Storage;

/// <summary>
/// An idempotent producer's batch does not follow its previous one (a sequence gap), or comes from an older
/// producer epoch: accepting it could reorder or duplicate records, so nothing of it was written.
/// </summary>
public sealed class OutOfOrderSequenceException : Exception
{
    public OutOfOrderSequenceException()
    {
    }

    public OutOfOrderSequenceException(string message)
        : base(message)
    {
    }

    public OutOfOrderSequenceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
