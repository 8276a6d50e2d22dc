using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Consuming;

/// <summary>
/// One assigned partition: the position handed out so far, the offset the next fetch asks for, and the
/// fetch in flight. A seek bumps the generation, so the answer of a fetch sent before it is dropped.
/// Every member but the fetch's own completion is called from the consumer's loop only.
/// </summary>
internal sealed class PartitionFetcher(TopicPartition topicPartition, IPartitionGrain grain)
{
    private static readonly FetchResult NoRecords = new(FetchStatus.Ok, ReadOnlyMemory<byte>.Empty, 0, 0);
    private long _fetchOffset;
    private Answer? _answer;

    public TopicPartition TopicPartition => topicPartition;

    public IPartitionGrain Grain => grain;

    /// <summary>The offset of the next record to hand out.</summary>
    public long Position { get; set; }

    public int Generation { get; private set; }

    /// <summary>The fetch in flight, or null when none is (a new fetcher, after a seek, or after an error answer).</summary>
    public Task? Pending { get; private set; }

    /// <summary>Whether a fetch answered for the current generation and its answer waits to be taken.</summary>
    public bool HasResult => CurrentAnswer() is not null;

    public void SeekTo(long offset)
    {
        Position = offset;
        _fetchOffset = offset;
        Generation++;
        Pending = null;
        _answer = null;
    }

    /// <summary>Sends a fetch from the next offset; once it is answered, the fetcher puts itself in <paramref name="ready"/>.</summary>
    public void Start(ConsumerOptions options, TimeProvider timeProvider, ChannelWriter<PartitionFetcher> ready) =>
        Pending = FetchAsync(options, timeProvider, ready);

    /// <summary>Takes the answer of the completed fetch and sends the next one, so fetching overlaps reading.</summary>
    public FetchResult TakeResult(ConsumerOptions options, TimeProvider timeProvider, ChannelWriter<PartitionFetcher> ready)
    {
        // One read of the field: a stale answer may overwrite it at any moment.
        var answer = CurrentAnswer();
        _answer = null;
        var result = answer?.Result ?? NoRecords;
        if (answer?.Error is not null || result.Status != FetchStatus.Ok)
        {
            // After an error the next pass of the consumer's loop fetches again.
            Pending = null;
            answer?.Error?.Throw();
            return result;
        }

        if (!result.Batches.IsEmpty)
        {
            _fetchOffset = RecordBatch.ReadNextOffset(result.Batches.Span);
        }

        Start(options, timeProvider, ready);
        return result;
    }

    // Runs concurrently with the consumer's loop: it only publishes its answer, tagged with the generation it was
    // sent in, so an answer that arrives after a seek is never taken for the new position.
    private async Task FetchAsync(ConsumerOptions options, TimeProvider timeProvider, ChannelWriter<PartitionFetcher> ready)
    {
        var generation = Generation;
        var fetchOffset = _fetchOffset;
        Answer answer;
        try
        {
            answer = new Answer(await grain.FetchAsync(fetchOffset, options.MaxFetchBytes, options.MaxWait), generation, null);
        }
        catch (Exception exception) when (RetriableErrors.IsRetriable(exception))
        {
            // The partition is moving to another silo: try again shortly rather than end the stream.
            await Task.Delay(options.RetryBackoff, timeProvider);
            answer = new Answer(NoRecords, generation, null);
        }
        catch (Exception exception)
        {
            // Any other failure ends the consumer's stream when its loop takes this answer.
            answer = new Answer(NoRecords, generation, ExceptionDispatchInfo.Capture(exception));
        }

        Volatile.Write(ref _answer, answer);
        ready.TryWrite(this);
    }

    /// <summary>The published answer when it belongs to the current generation, read once.</summary>
    private Answer? CurrentAnswer() => Volatile.Read(ref _answer) is { } answer && answer.Generation == Generation ? answer : null;

    private sealed record Answer(FetchResult Result, int Generation, ExceptionDispatchInfo? Error);
}
