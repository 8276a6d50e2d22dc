namespace OrleansBroker.Grains;

/// <summary>
/// Diagnostics only, not part of the broker: a grain that takes one packed buffer and returns its length, doing
/// nothing else. <c>obroker bench transport</c> calls it to measure what Orleans alone carries from a client to a
/// grain, the ceiling that a partition's append (the same call shape plus validation and the log) cannot pass.
/// It holds no state; any key will do.
/// </summary>
[Alias("broker.IBenchSinkGrain")]
public interface IBenchSinkGrain : IGrainWithGuidKey
{
    /// <summary>
    /// Returns the length of <paramref name="buffer"/> and gives the buffer back; carried exactly as an append's batch
    /// (not copied, received into a pooled buffer).
    /// </summary>
    [Alias("Accept")]
    ValueTask<int> AcceptAsync(BatchBytes buffer);

    /// <summary>The CPU time (user and kernel) the process of the silo hosting this grain has used so far.</summary>
    [Alias("ProcessCpuTime")]
    ValueTask<TimeSpan> GetProcessCpuTimeAsync();
}
