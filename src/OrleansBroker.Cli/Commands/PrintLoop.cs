using System.Globalization;

namespace OrleansBroker.Cli.Commands;

/// <summary>
/// The loop shared by <c>consume</c> and <c>queue consume</c>: hands each record to a writer until
/// <c>--max-messages</c>, <c>--timeout-ms</c> of silence or Ctrl+C, with output buffered while records stream in.
/// </summary>
internal static class PrintLoop
{
    /// <summary>Runs the loop and reports the count on standard error; an idle timeout or Ctrl+C is an orderly end.</summary>
    public static async Task<long> RunAsync<T>(
        Func<CancellationToken, IAsyncEnumerable<T>> consume,
        Stream output,
        long maxMessages,
        TimeSpan idleTimeout,
        Func<T, ValueTask> print,
        CancellationToken cancellationToken)
    {
        var count = 0L;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            stop.CancelAfter(idleTimeout);
            await using var records = consume(stop.Token).GetAsyncEnumerator(stop.Token);
            while (count < maxMessages)
            {
                // Flushed whenever the consumer has to wait for more, so someone watching sees every record that arrived.
                var next = records.MoveNextAsync();
                if (!next.IsCompleted)
                {
                    await output.FlushAsync(CancellationToken.None);
                }

                if (!await next)
                {
                    break;
                }

                await print(records.Current);
                count++;
                stop.CancelAfter(idleTimeout);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The caller finishes in order: what was printed is flushed, then committed or acknowledged.
        }

        await output.FlushAsync(CancellationToken.None);
        await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Processed a total of {count} messages"));
        return count;
    }
}
