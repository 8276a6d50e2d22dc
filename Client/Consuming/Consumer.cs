using System.Collections.Immutable;
using System.Threading.Channels;
using OrleansBroker.Grains;
using OrleansBroker.Records;

namespace OrleansBroker.Client.Consuming;

/// <summary>
/// Reads the partitions assigned to it, in offset order per partition, as an async stream. Keeps one fetch
/// in flight per partition ahead of the records being handed out, so reading overlaps the broker's long
/// polls. With a group, it starts from the group's committed offsets and commits its positions; either partitions are
/// assigned by hand (<see cref="AssignAsync(string, CancellationToken)"/>), or the group assigns them
/// (<see cref="SubscribeAsync"/>). Not thread-safe: one consumer is read by one loop at a time.
/// </summary>
public sealed partial class Consumer : IAsyncDisposable
{
    private readonly IGrainFactory _grainFactory;
    private readonly TopicMetadataCache _metadata;
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<TopicPartition, PartitionFetcher> _fetchers = [];
    private readonly Channel<PartitionFetcher> _ready = Channel.CreateUnbounded<PartitionFetcher>(new UnboundedChannelOptions { SingleReader = true });
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
    /// <exception cref="InvalidOperationException">The consumer subscribed to a group: the group assigns its partitions.</exception>
    public Task AssignAsync(IEnumerable<TopicPartition> partitions, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Subscribed)
        {
            throw new InvalidOperationException("A subscribed consumer's partitions are assigned by its group.");
        }

        return AddFetchersAsync([.. partitions.Where(p => !_fetchers.ContainsKey(p)).Distinct()], cancellationToken);
    }

    private async Task AddFetchersAsync(ImmutableArray<TopicPartition> added, CancellationToken cancellationToken)
    {
        var committed = Options.GroupId is null
            ? []
            : (await Group.FetchOffsetsAsync(added).WaitAsync(cancellationToken)).ToDictionary(o => o.TopicPartition, o => o.Offset);
        var fetchers = added.Select(p => new PartitionFetcher(p, _grainFactory.GetGrain<IPartitionGrain>(p.ToString()))).ToList();

        // The partitions without a committed offset look theirs up at once, not one after another: a member that joins
        // a new group asks for every partition it gets, and starts reading only when all are answered.
        var starts = await Task.WhenAll(fetchers.Select(f => committed.TryGetValue(f.TopicPartition, out var offset)
            ? Task.FromResult(offset)
            : ResetOffsetAsync(f, cancellationToken)));
        foreach (var (fetcher, start) in fetchers.Zip(starts))
        {
            fetcher.SeekTo(start);
        }

        // All or nothing: a cancelled call adds no partition, so none is read (or revoked) without being announced.
        foreach (var fetcher in fetchers)
        {
            _fetchers[fetcher.TopicPartition] = fetcher;
        }
    }

    /// <summary>Removes manually assigned partitions from the assignment (their positions are not committed).</summary>
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
    public IAsyncEnumerable<ConsumeResult> ConsumeAsync(CancellationToken cancellationToken = default) => new RecordStream(this, cancellationToken);

    /// <summary>
    /// Waits for the next answered fetch of an assigned partition and hands its batches to <paramref name="records"/>;
    /// false once <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    private async ValueTask<bool> NextFetchAsync(RecordStream.Enumerator records, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (Subscribed && !await TryReconcileAsync(cancellationToken))
            {
                continue;
            }

            var assignmentChanged = AssignmentChanged;

            await AutoCommitAsync(cancellationToken);
            var fetching = false;
            foreach (var fetcher in _fetchers.Values)
            {
                if (fetcher.Pending is null)
                {
                    fetcher.Start(Options, _timeProvider, _ready.Writer);
                }

                fetching = true;
            }

            if (!fetching)
            {
                await Task.WhenAny(Task.Delay(Options.MaxWait, _timeProvider, cancellationToken), assignmentChanged);
                continue;
            }

            // Answered fetches queue up in the order they arrive, so a pass costs the same with 4 partitions or 10,000.
            // A new assignment from the group wakes the loop even while every fetch waits on the broker.
            if (!_ready.Reader.TryRead(out var completed))
            {
                await Task.WhenAny(_ready.Reader.WaitToReadAsync(cancellationToken).AsTask(), assignmentChanged).WaitAsync(cancellationToken);
                continue;
            }

            if (!_fetchers.TryGetValue(completed.TopicPartition, out var current) || current != completed)
            {
                continue;
            }

            if (!completed.HasResult)
            {
                // A seek made the answer stale; or a stale answer overwrote the current one, whose fetch then has to go again.
                if (completed.Pending is { IsCompleted: true })
                {
                    completed.Start(Options, _timeProvider, _ready.Writer);
                }

                continue;
            }

            var fetched = completed.TakeResult(Options, _timeProvider, _ready.Writer);
            if (fetched.Status == FetchStatus.OffsetOutOfRange)
            {
                completed.SeekTo(await ResetOffsetAsync(completed, cancellationToken));
                continue;
            }

            records.Read(completed, fetched.Batches, assignmentChanged);
            return true;
        }

        return false;
    }

    /// <summary>Commits the position of every assigned partition to the group: it resumes there.</summary>
    /// <exception cref="InvalidOperationException">The consumer has no group.</exception>
    public Task CommitAsync(CancellationToken cancellationToken = default) =>
        CommitAsync(_fetchers.Values.Select(f => new TopicPartitionOffset(f.TopicPartition, f.Position)), cancellationToken);

    /// <summary>Commits offsets (each the next offset to consume) to the group.</summary>
    /// <exception cref="InvalidOperationException">The consumer has no group.</exception>
    /// <exception cref="UnknownMemberException">A subscribed consumer is no longer (or not yet again) in its group.</exception>
    /// <exception cref="IllegalGenerationException">A subscribed consumer no longer owns a partition, or a rebalance moved on.</exception>
    public async Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        if (Options.GroupId is null)
        {
            throw new InvalidOperationException("A consumer without a group id cannot commit offsets.");
        }

        ImmutableArray<TopicPartitionOffset> batch = [.. offsets];
        await (Subscribed ? CommitAsMemberAsync(batch) : Group.CommitOffsetsAsync(batch)).WaitAsync(cancellationToken);
        _lastCommit = _timeProvider.GetTimestamp();
    }

    /// <summary>
    /// Stops heartbeats, hands its partitions to <see cref="ConsumerOptions.PartitionsRevoked"/>, commits positions when
    /// auto-commit is on, and leaves the group (a static member stays: see
    /// <see cref="ConsumerOptions.GroupInstanceId"/>).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopMembershipAsync();
        if (Subscribed)
        {
            await RefreshGenerationAsync();
        }

        if (Subscribed && _fetchers.Count > 0 && Options.PartitionsRevoked is { } onRevoked)
        {
            await onRevoked(_fetchers.Keys.ToList());
        }

        if (Options.GroupId is not null && Options.EnableAutoCommit && _fetchers.Count > 0)
        {
            await TryCommitAsync(_fetchers.Values.Select(f => new TopicPartitionOffset(f.TopicPartition, f.Position)), CancellationToken.None);
        }

        if (Subscribed)
        {
            await LeaveAsync();
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
            await TryCommitAsync(_fetchers.Values.Select(f => new TopicPartitionOffset(f.TopicPartition, f.Position)), cancellationToken);
            _lastCommit = _timeProvider.GetTimestamp();
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
