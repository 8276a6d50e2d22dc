namespace OrleansBroker.Cli.Connection;

/// <summary>The broker's gateway did not answer: the tool exits with <see cref="ExitCodes.Unreachable"/>.</summary>
internal sealed class BrokerUnreachableException : Exception
{
    public BrokerUnreachableException()
    {
    }

    public BrokerUnreachableException(string message)
        : base(message)
    {
    }

    public BrokerUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
