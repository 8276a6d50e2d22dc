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

        LogReadResult read;
        try
        {
            read = await log.ReadAsync(offset, Math.Min(maxBytes, _options.MaxFetchBytes));
        }
        catch (LogStorageException exception)
        {
            throw StorageFailed(exception);
        }

        instruments.BytesOut.Add(read.Batches.Length, new KeyValuePair<string, object?>(BrokerInstruments.TopicTag, _id.Topic));
        var status = read.Status == LogReadStatus.Ok ? FetchStatus.Ok : FetchStatus.OffsetOutOfRange;
        return new FetchResult(status, read.Batches, read.LogStartOffset, read.HighWatermark);
    }
}
