using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Consuming;

/// <summary>
/// Reads the partitions assigned to it, in offset order per partition, as an async stream. Keeps one fetch
/// in flight per partition ahead of the records being handed out, so reading overlaps the broker's long
/// polls. With a group, it starts from the group's committed offsets and commits its positions.
/// Not thread-safe: one consumer is read by one loop at a time.
/// </summary>
public sealed class Consumer : IAsyncDisposable
{
    private readonly IGrainFactory _grainFactory;
    private readonly TopicMetadataCache _metadata;
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<TopicPartition, PartitionFetcher> _fetchers = [];
    private long _lastCommit;
    private bool _disposed;

    internal Consumer(IGrainFactory grainFactory, TopicMetadataCache metadata, ConsumerOptions options, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFetchBytes, RecordBatch.HeaderSize);
        _grainFactory = grainFactory;
        _metadata = metadata;
        Options = options;
        _timeProvider = timeProvider;
        _lastCommit = timeProvider.GetTimestamp();
    }

    /// <summary>The options the consumer was created with.</summary>
    public ConsumerOptions Options { get; }

    /// <summary>The partitions the consumer reads.</summary>
    public IReadOnlyCollection<TopicPartition> Assignment => _fetchers.Keys;

    /// <summary>Assigns every partition of a topic.</summary>
    /// <exception cref="UnknownTopicOrPartitionException">The topic does not exist.</exception>
    public async Task AssignAsync(string topic, CancellationToken cancellationToken = default)
    {
        var metadata = await _metadata.GetAsync(topic).WaitAsync(cancellationToken);
        await AssignAsync(Enumerable.Range(0, metadata.Config.Partitions).Select(p => new TopicPartition(topic, p)), cancellationToken);
    }

    /// <summary>
    /// Adds partitions to the assignment. Each starts at the group's committed offset when there is one,
    /// else where <see cref="ConsumerOptions.AutoOffsetReset"/> says.
    /// </summary>
    public async Task AssignAsync(IEnumerable<TopicPartition> partitions, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var added = partitions.Where(p => !_fetchers.ContainsKey(p)).Distinct().ToImmutableArray();
        var committed = Options.GroupId is null
            ? []
            : (await Group.FetchOffsetsAsync(added).WaitAsync(cancellationToken)).ToDictionary(o => o.TopicPartition, o => o.Offset);
        foreach (var partition in added)
        {
            var fetcher = new PartitionFetcher(partition, _grainFactory.GetGrain<IPartitionGrain>(partition.ToString()));
            var start = committed.TryGetValue(partition, out var offset) ? offset : await ResetOffsetAsync(fetcher, cancellationToken);
            fetcher.SeekTo(start);
            _fetchers[partition] = fetcher;
        }
    }

    /// <summary>Removes partitions from the assignment (their positions are not committed).</summary>
    public void Unassign(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _fetchers.Remove(partition);
        }
    }

    /// <summary>The offset of the next record the consumer hands out for a partition.</summary>
    public long Position(TopicPartition partition) => Fetcher(partition).Position;

    /// <summary>Moves a partition's position: the next record handed out is the one at <paramref name="offset"/>.</summary>
    public void Seek(TopicPartition partition, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Fetcher(partition).SeekTo(offset);
    }

    /// <summary>Moves each assigned partition to its log start offset.</summary>
    public Task SeekToBeginningAsync(CancellationToken cancellationToken = default) => SeekAllAsync(OffsetSpec.Earliest, cancellationToken);

    /// <summary>Moves each assigned partition to its high watermark: only new records follow.</summary>
    public Task SeekToEndAsync(CancellationToken cancellationToken = default) => SeekAllAsync(OffsetSpec.Latest, cancellationToken);

    /// <summary>Moves each assigned partition to its first record at or after a time (to the end when there is none).</summary>
    public Task SeekToTimestampAsync(DateTimeOffset timestamp, CancellationToken cancellationToken = default) =>
        SeekAllAsync(OffsetSpec.ForTimestamp(timestamp.ToUnixTimeMilliseconds()), cancellationToken);

    /// <summary>
    /// The records of the assigned partitions, in offset order per partition, as they arrive. The stream
    /// ends only when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <exception cref="CorruptRecordException">A fetched batch failed its checks.</exception>
    public async IAsyncEnumerable<ConsumeResult> ConsumeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var inFlight = new List<Task<PartitionFetcher>>();
        while (!cancellationToken.IsCancellationRequested)
        {
            await AutoCommitAsync(cancellationToken);
            inFlight.Clear();
            foreach (var fetcher in _fetchers.Values)
            {
                inFlight.Add(fetcher.Pending ??= fetcher.FetchAsync(Options, _timeProvider));
            }

            if (inFlight.Count == 0)
            {
                await Task.Delay(Options.MaxWait, _timeProvider, cancellationToken)
                    .ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            var completed = await await Task.WhenAny(inFlight).WaitAsync(cancellationToken);
            if (!_fetchers.TryGetValue(completed.TopicPartition, out var current) || current != completed)
            {
                continue;
            }

            var fetched = completed.TakeResult(Options, _timeProvider);
            if (fetched.Status == FetchStatus.OffsetOutOfRange)
            {
                completed.SeekTo(await ResetOffsetAsync(completed, cancellationToken));
                continue;
            }

            var generation = completed.Generation;
            var reader = new RecordBatchReader(fetched.Batches);
            while (reader.TryReadNext(out var record))
            {
                if (record.Offset < completed.Position)
                {
                    continue;
                }

                completed.Position = record.Offset + 1;
                yield return new ConsumeResult(completed.TopicPartition, record);
                if (completed.Generation != generation)
                {
                    break;
                }
            }

            if (reader.Status != BatchStatus.Valid)
            {
                throw new CorruptRecordException(
                    $"A batch fetched from {completed.TopicPartition} at offset {reader.NextOffset} is corrupt: {reader.Status}.");
            }
        }
    }

    /// <summary>Commits the position of every assigned partition to the group: it resumes there.</summary>
    /// <exception cref="InvalidOperationException">The consumer has no group.</exception>
    public Task CommitAsync(CancellationToken cancellationToken = default) =>
        CommitAsync(_fetchers.Values.Select(f => new TopicPartitionOffset(f.TopicPartition, f.Position)), cancellationToken);

    /// <summary>Commits offsets (each the next offset to consume) to the group.</summary>
    /// <exception cref="InvalidOperationException">The consumer has no group.</exception>
    public async Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        if (Options.GroupId is null)
        {
            throw new InvalidOperationException("A consumer without a group id cannot commit offsets.");
        }

        await Group.CommitOffsetsAsync([.. offsets]).WaitAsync(cancellationToken);
        _lastCommit = _timeProvider.GetTimestamp();
    }

    /// <summary>Commits positions when auto-commit is on, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (Options.GroupId is not null && Options.EnableAutoCommit && _fetchers.Count > 0)
        {
            await CommitAsync();
        }
    }

    private IConsumerGroupGrain Group => _grainFactory.GetGrain<IConsumerGroupGrain>(Options.GroupId ?? throw new InvalidOperationException("The consumer has no group id."));

    private PartitionFetcher Fetcher(TopicPartition partition) =>
        _fetchers.TryGetValue(partition, out var fetcher)
            ? fetcher
            : throw new InvalidOperationException($"Partition {partition} is not assigned to this consumer.");

    private async Task AutoCommitAsync(CancellationToken cancellationToken)
    {
        if (Options.GroupId is not null && Options.EnableAutoCommit && _timeProvider.GetElapsedTime(_lastCommit) >= Options.AutoCommitInterval)
        {
            await CommitAsync(cancellationToken);
        }
    }

    private async Task<long> ResetOffsetAsync(PartitionFetcher fetcher, CancellationToken cancellationToken)
    {
        var spec = Options.AutoOffsetReset == AutoOffsetReset.Earliest ? OffsetSpec.Earliest : OffsetSpec.Latest;
        return (await fetcher.Grain.ListOffsetsAsync(spec).AsTask().WaitAsync(cancellationToken)) ?? 0;
    }

    private async Task SeekAllAsync(OffsetSpec spec, CancellationToken cancellationToken)
    {
        foreach (var fetcher in _fetchers.Values)
        {
            var offset = await fetcher.Grain.ListOffsetsAsync(spec).AsTask().WaitAsync(cancellationToken)
                ?? await fetcher.Grain.ListOffsetsAsync(OffsetSpec.Latest).AsTask().WaitAsync(cancellationToken);
            fetcher.SeekTo(offset ?? 0);
        }
    }
}
