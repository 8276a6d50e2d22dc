using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Consuming;

/// <summary>
/// One assigned partition: the position handed out so far, the offset the next fetch asks for, and the
/// fetch in flight. A seek bumps the generation, so the answer of a fetch sent before it is dropped.
/// </summary>
internal sealed class PartitionFetcher(TopicPartition topicPartition, IPartitionGrain grain)
{
    private static readonly FetchResult NoRecords = new(FetchStatus.Ok, ReadOnlyMemory<byte>.Empty, 0, 0);
    private long _fetchOffset;
    private FetchResult? _result;

    public TopicPartition TopicPartition => topicPartition;

    public IPartitionGrain Grain => grain;

    /// <summary>The offset of the next record to hand out.</summary>
    public long Position { get; set; }

    public int Generation { get; private set; }

    public Task<PartitionFetcher>? Pending { get; set; }

    public void SeekTo(long offset)
    {
        Position = offset;
        _fetchOffset = offset;
        Generation++;
        Pending = null;
        _result = null;
    }

    /// <summary>Fetches from the next offset; when records come back, the following fetch is sent at once.</summary>
    public async Task<PartitionFetcher> FetchAsync(ConsumerOptions options, TimeProvider timeProvider)
    {
        var generation = Generation;
        FetchResult result;
        try
        {
            result = await grain.FetchAsync(_fetchOffset, options.MaxFetchBytes, options.MaxWait);
        }
        catch (Exception exception) when (RetriableErrors.IsRetriable(exception))
        {
            // The partition is moving to another silo: try again shortly rather than end the stream.
            await Task.Delay(options.RetryBackoff, timeProvider);
            result = NoRecords;
        }

        if (generation == Generation)
        {
            _result = result;
            if (result.Status == FetchStatus.Ok && !result.Batches.IsEmpty)
            {
                _fetchOffset = RecordBatch.ReadNextOffset(result.Batches.Span);
            }
        }

        return this;
    }

    /// <summary>Takes the answer of the completed fetch and sends the next one, so fetching overlaps reading.</summary>
    public FetchResult TakeResult(ConsumerOptions options, TimeProvider timeProvider)
    {
        var result = _result ?? NoRecords;
        _result = null;
        Pending = result.Status == FetchStatus.Ok ? FetchAsync(options, timeProvider) : null;
        return result;
    }
}
