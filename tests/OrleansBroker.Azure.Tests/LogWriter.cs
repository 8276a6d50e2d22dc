namespace OrleansBroker.Azure.Tests;

/// <summary>
/// Appends to a log in groups of four batches sent without waiting in between (so they share group commits), and keeps
/// what became of each: acknowledged, or refused with an exception.
/// </summary>
internal sealed class LogWriter(Storage.IPartitionLog log, Func<byte[]> batch)
{
    private readonly Lock _lock = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

    /// <summary>The acknowledged batches, in offset order.</summary>
    public List<byte[]> Stored { get; } = [];

    /// <summary>The batches whose append failed, in offset order.</summary>
    public List<byte[]> Failed { get; } = [];

    public List<Exception> Refusals { get; } = [];

    /// <summary>Completes once <paramref name="count"/> batches are acknowledged.</summary>
    public Task AcknowledgedAsync(int count)
    {
        lock (_lock)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            Notify();
            return reached.Task;
        }
    }

    /// <summary>Appends group after group until one is refused.</summary>
    public async Task AppendUntilRefusedAsync()
    {
        while (await AppendAsync() == 0)
        {
        }
    }

    /// <summary>Appends one group of four; returns how many were refused.</summary>
    public async Task<int> AppendAsync()
    {
        var batches = Enumerable.Range(0, 4).Select(_ => batch()).ToList();
        var appends = batches.Select(batch => log.AppendAsync(batch, TestContext.Current.CancellationToken).AsTask()).ToList();
        var refused = 0;
        for (var i = 0; i < batches.Count; i++)
        {
            try
            {
                await appends[i];
                lock (_lock)
                {
                    // A log acknowledges a prefix of what it was given: never a batch after a refused one.
                    Assert.Equal(0, refused);
                    Stored.Add(batches[i]);
                    Notify();
                }
            }
            catch (Exception refusal) when (refusal is not Xunit.Sdk.IAssertionException)
            {
                refused++;
                Failed.Add(batches[i]);
                Refusals.Add(refusal);
            }
        }

        return refused;
    }

    private void Notify()
    {
        foreach (var (count, reached) in _waiters.Where(waiter => Stored.Count >= waiter.Count))
        {
            reached.TrySetResult();
        }
    }
}
