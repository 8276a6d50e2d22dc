using Orleans.Concurrency;

namespace OrleansBroker.Grains.Diagnostics;

/// <summary>
/// Diagnostics only: the transport bench's target (<see cref="IBenchSinkGrain"/>). Reentrant like the partition
/// grain, so calls in flight are scheduled the way appends are; it does no work, so what the bench measures is
/// the client, the wire, serialization and the grain scheduler.
/// </summary>
[Reentrant]
public sealed class BenchSinkGrain : Grain, IBenchSinkGrain
{
    public ValueTask<int> AcceptAsync(BatchBytes buffer)
    {
        var length = buffer.Bytes.Length;
        buffer.Release();
        return ValueTask.FromResult(length);
    }

    public ValueTask<TimeSpan> GetProcessCpuTimeAsync() => ValueTask.FromResult(Environment.CpuUsage.TotalTime);
}
