using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;

namespace OrleansBroker.Grains.Tests.Storage;

public sealed class FileGrainStorageConcurrencyTests : IDisposable
{
    private const int Rounds = 10;
    private const int WritersPerProvider = 4;

    private readonly FileStorageHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Two_providers_racing_to_write_with_the_same_etag_let_exactly_one_writer_win()
    {
        var providers = new[] { _harness.CreateStorage(), _harness.CreateStorage() };
        var grainId = FileStorageHarness.Partition("orders/3");
        string? eTag = null;

        for (var round = 0; round < Rounds; round++)
        {
            using var start = new ManualResetEventSlim();
            var states = new GrainState<CounterState>[providers.Length * WritersPerProvider];
            var outcomes = new Task<InconsistentStateException?>[states.Length];
            for (var writer = 0; writer < states.Length; writer++)
            {
                var state = states[writer] = FileStorageHarness.State($"writer {writer}", round, eTag);
                var provider = providers[writer % providers.Length];
                outcomes[writer] = Task.Run(
                    async () =>
                    {
                        start.Wait(TestContext.Current.CancellationToken);
                        try
                        {
                            await provider.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
                            return null;
                        }
                        catch (InconsistentStateException exception)
                        {
                            return exception;
                        }
                    },
                    TestContext.Current.CancellationToken);
            }

            start.Set();
            var failures = await Task.WhenAll(outcomes);

            var winner = states[Assert.Single(Enumerable.Range(0, states.Length), i => failures[i] is null)];
            Assert.Equal(states.Length - 1, failures.Count(f => f is not null));
            var read = FileStorageHarness.State("", 0);
            await providers[round % providers.Length].ReadStateAsync(FileStorageHarness.StateName, grainId, read);
            Assert.Equal(winner.Value().Name, read.Value().Name);
            Assert.Equal(winner.ETag, read.ETag);
            eTag = read.ETag;
        }
    }

    [Fact]
    public async Task A_write_waits_for_a_held_lock_and_completes_once_it_is_released()
    {
        var time = new FakeTimeProvider();
        var storage = _harness.CreateStorage(time);
        var grainId = FileStorageHarness.Partition("orders/3");
        var state = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
        var heldLock = HoldLock();

        state.Value().Count = 2;
        var write = storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
        var firstDone = await Task.WhenAny(write, Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken));
        await heldLock.DisposeAsync();
        await CompleteWithFakeTimeAsync(write, time, TimeSpan.FromMilliseconds(10));

        Assert.NotSame(write, firstDone);
        var read = FileStorageHarness.State("", 0);
        await storage.ReadStateAsync(FileStorageHarness.StateName, grainId, read);
        Assert.Equal(2, read.Value().Count);
        Assert.Equal(state.ETag, read.ETag);
    }

    [Fact]
    public async Task A_write_fails_with_a_timeout_when_the_lock_stays_held_and_writes_nothing()
    {
        var time = new FakeTimeProvider();
        var storage = _harness.CreateStorage(time, lockTimeout: TimeSpan.FromSeconds(5));
        var grainId = FileStorageHarness.Partition("orders/3");
        var state = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
        var before = await File.ReadAllBytesAsync(_harness.SingleStateFile(), TestContext.Current.CancellationToken);
        await using var heldLock = HoldLock();

        var write = storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
        await CompleteWithFakeTimeAsync(write, time, TimeSpan.FromMilliseconds(500));

        Assert.IsType<TimeoutException>(write.Exception?.InnerException);
        Assert.Equal(before, await File.ReadAllBytesAsync(_harness.SingleStateFile(), TestContext.Current.CancellationToken));
    }

    /// <summary>Moves fake time until <paramref name="task"/> completes, whatever its outcome.</summary>
    private static async Task CompleteWithFakeTimeAsync(Task task, FakeTimeProvider time, TimeSpan step)
    {
        while (!task.IsCompleted)
        {
            // Fake time only moves when told; the short real delay lets the writer's retry loop run in between.
            time.Advance(step);
            await Task.Delay(TimeSpan.FromMilliseconds(1), TestContext.Current.CancellationToken);
        }
    }

    private FileStream HoldLock() =>
        new(Assert.Single(_harness.Files("*.lock")), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
}
