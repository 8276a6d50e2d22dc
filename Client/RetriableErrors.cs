namespace OrleansBroker.Client;

/// <summary>Which failures of a call to the broker may pass if the call is sent again.</summary>
internal static class RetriableErrors
{
    public static bool IsRetriable(Exception exception) => exception switch
    {
        BrokerException broker => broker.IsRetriable,
        TimeoutException or SiloUnavailableException or OrleansMessageRejectionException => true,
        _ => false,
    };
}
