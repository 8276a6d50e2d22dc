namespace OrleansBroker.Storage;

/// <summary>A writer with a newer epoch owns the log: this writer's append or open was refused and wrote nothing.</summary>
public sealed class StaleEpochException : Exception
{
    public StaleEpochException()
    {
    }

    public StaleEpochException(string message)
        : base(message)
    {
    }

    public StaleEpochException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StaleEpochException(LogPartition partition, int epoch, int currentEpoch)
        : base($"The log of {partition} is owned by epoch {currentEpoch}; epoch {epoch} is stale.")
    {
        Epoch = epoch;
        CurrentEpoch = currentEpoch;
    }

    /// <summary>The refused writer's epoch.</summary>
    public int Epoch { get; }

    /// <summary>The epoch that owns the log.</summary>
    public int CurrentEpoch { get; }
}
