using OrleansBroker.Grains.Diagnostics;
using OrleansBroker.Storage;

namespace OrleansBroker.Grains;

public sealed partial class PartitionGrain
{
    public async ValueTask<FetchResult> FetchAsync(long offset, int maxBytes, TimeSpan maxWait)
    {
        if (maxBytes <= 0)
        {
            throw new InvalidRequestException($"maxBytes must be positive, not {maxBytes}.");
        }

        var log = RequireLog();
        if (offset == log.HighWatermark && maxWait > TimeSpan.Zero)
        {
            // The grain is reentrant, so appends run while this call waits; the wait is capped well under the response timeout.
            var wait = maxWait < _options.MaxFetchWait ? maxWait : _options.MaxFetchWait;
            using var timeout = new CancellationTokenSource(wait, timeProvider);
            await log.WaitForDataAsync(offset, timeout.Token)
                .ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
        }

        var started = timeProvider.GetTimestamp();
        var read = await ReadingAsync(log.ReadAsync(offset, Math.Min(maxBytes, _options.MaxFetchBytes)));
        var topic = new KeyValuePair<string, object?>(BrokerInstruments.TopicTag, _id.Topic);
        instruments.BytesOut.Add(read.Batches.Length, topic);
        instruments.FetchDuration.Record(timeProvider.GetElapsedTime(started).TotalMilliseconds, topic);
        var status = read.Status == LogReadStatus.Ok ? FetchStatus.Ok : FetchStatus.OffsetOutOfRange;
        return new FetchResult(status, read.Batches, read.LogStartOffset, read.HighWatermark);
    }

    /// <summary>A read of the log, whose storage failure the caller sees as the broker's retriable error.</summary>
    private async ValueTask<T> ReadingAsync<T>(ValueTask<T> read)
    {
        try
        {
            return await read;
        }
        catch (LogStorageException exception)
        {
            throw StorageFailed(exception);
        }
    }
}
