namespace OrleansBroker.Cli;

/// <summary>The process exit codes of <c>obroker</c>; scripts branch on them, so they never change meaning.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The command ran but could not finish its work for a reason that is not the broker's (a bench that found nothing to read).</summary>
    public const int Failure = 1;

    /// <summary>The command line could not be parsed.</summary>
    public const int Usage = 2;

    /// <summary>The broker refused the request: unknown topic, invalid name, topic exists, record too large, ...</summary>
    public const int BrokerError = 3;

    /// <summary>The broker could not be reached.</summary>
    public const int Unreachable = 4;
}
