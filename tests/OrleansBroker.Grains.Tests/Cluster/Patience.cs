namespace OrleansBroker.Grains.Tests.Cluster;

/// <summary>How long a test waits for records before it fails.</summary>
public static class Patience
{
    /// <summary>
    /// Three of Orleans' 30 s response timeouts: on an overloaded two-core machine a call can be lost and retried after
    /// its timeout, which a working broker survives and a test must not mistake for a hang. A real hang still fails.
    /// </summary>
    public static readonly TimeSpan Records = TimeSpan.FromSeconds(90);
}
