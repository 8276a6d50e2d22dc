using OrleansBroker.Storage;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// The setup the blob log store's test classes share: each test gets a container of its own (deleted at its end) and
/// faults to inject into the stores it makes there.
/// </summary>
public abstract class ContainerTest : IAsyncLifetime
{
    /// <summary>Small segments, so that a few batches roll them; 10 records of 20 bytes make 331-byte batches, three to a segment.</summary>
    private protected static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 1000, IndexIntervalBytes = 128 };

    private protected static readonly LogPartition Orders = new("orders", 0);

    private protected TestContainer Container { get; private set; } = null!;

    private protected StorageFaults Faults { get; } = new();

    private protected static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        Container = new TestContainer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await (Container?.DisposeAsync() ?? ValueTask.CompletedTask);
        Faults.Dispose();
        GC.SuppressFinalize(this);
    }
}
