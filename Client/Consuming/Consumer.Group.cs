using System.Collections.Immutable;
using OrleansBroker.Grains;

namespace OrleansBroker.Client.Consuming;

/// <summary>
/// Group membership: a heartbeat loop keeps the member alive and publishes the newest assignment; the consume loop
/// applies it between records (gives up revoked partitions, after committing them, before it reports them as no
/// longer owned; starts assigned ones at their committed offset). The group also pokes the member through an observer
/// when a rebalance needs it (a new generation, or partitions of its target freed), which makes it heartbeat at once
/// rather than at its next interval. The lock guards what both loops touch.
/// </summary>
public sealed partial class Consumer
{
    private readonly Lock _groupLock = new();
    private readonly HashSet<TopicPartition> _owned = [];
    private ImmutableArray<string> _topics;
    private CancellationTokenSource? _heartbeatStop;
    private Task? _heartbeatLoop;
    private string? _memberId;
    private GroupAssignment? _latest;
    private GroupAssignment? _applied;
    private bool _lostPending;
    private Exception? _fatal;
    private TaskCompletionSource _assignmentChanged = NewSignal();
    private TaskCompletionSource _heartbeatNow = NewSignal();
    private RebalanceNotices? _notices;
    private IConsumerGroupObserver? _observer;

    /// <summary>The consumer's member id in its group, or null when it has not subscribed (or is rejoining).</summary>
    public string? MemberId
    {
        get
        {
            lock (_groupLock)
            {
                return _memberId;
            }
        }
    }

    private bool Subscribed => _heartbeatLoop is not null;

    /// <summary>
    /// Joins the consumer group <see cref="ConsumerOptions.GroupId"/> with a subscription to <paramref name="topics"/>:
    /// the group assigns partitions, and moves them between members as members come and go. Heartbeats run in the
    /// background until the consumer is disposed; assignment changes are applied inside <see cref="ConsumeAsync"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No group id, already subscribed, or partitions were assigned manually.</exception>
    /// <exception cref="InvalidRequestException">The group uses another assignor, or the session timeout is out of range.</exception>
    public async Task SubscribeAsync(IEnumerable<string> topics, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(topics);
        if (Options.GroupId is null || Subscribed || _fetchers.Count > 0)
        {
            throw new InvalidOperationException("Subscribing needs a group id, and a consumer that has neither subscribed nor assigned partitions.");
        }

        _topics = [.. topics];

        // The runtime holds the local object weakly: the field keeps it alive as long as the consumer.
        _notices ??= new RebalanceNotices(this);
        _observer ??= _grainFactory.CreateObjectReference<IConsumerGroupObserver>(_notices);
        var joined = await JoinAsync().WaitAsync(cancellationToken);
        _heartbeatStop = new CancellationTokenSource();
        _heartbeatLoop = HeartbeatLoopAsync(joined.HeartbeatInterval, _heartbeatStop.Token);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task AssignmentChanged
    {
        get
        {
            lock (_groupLock)
            {
                return _assignmentChanged.Task;
            }
        }
    }

    private async Task<GroupAssignment> JoinAsync()
    {
        var joined = await Group.JoinAsync(new JoinGroupRequest(null, Options.GroupInstanceId, _topics, Options.SessionTimeout, Options.Assignor, _observer));
        lock (_groupLock)
        {
            _memberId = joined.MemberId;
        }

        Publish(joined);
        return joined;
    }

    private void Publish(GroupAssignment assignment)
    {
        lock (_groupLock)
        {
            if (_latest is null
                || _latest.MemberId != assignment.MemberId
                || _latest.Generation != assignment.Generation
                || !_latest.Assignment.SequenceEqual(assignment.Assignment))
            {
                _latest = assignment;
                _assignmentChanged.TrySetResult();
            }
        }
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Task wake;
            lock (_groupLock)
            {
                wake = _heartbeatNow.Task;
            }

            await Task.WhenAny(wake, Task.Delay(interval, _timeProvider, cancellationToken));
            string? memberId;
            int generation;
            ImmutableArray<TopicPartition> owned;
            lock (_groupLock)
            {
                if (_heartbeatNow.Task.IsCompleted)
                {
                    _heartbeatNow = NewSignal();
                }

                memberId = _memberId;

                // Only what the consume loop applied for this very member counts: after a rejoin, nothing does yet.
                generation = _applied is { } applied && applied.MemberId == memberId ? applied.Generation : -1;
                owned = [.. _owned];
            }

            try
            {
                if (memberId is null)
                {
                    interval = (await JoinAsync().WaitAsync(cancellationToken)).HeartbeatInterval;
                    continue;
                }

                var response = await Group.HeartbeatAsync(memberId, generation, owned).WaitAsync(cancellationToken);
                interval = response.HeartbeatInterval;
                Publish(response);
            }
            catch (UnknownMemberException)
            {
                // The group dropped us (session expired, or the group grain moved): whatever we own may be someone
                // else's now. The consume loop drops it all without committing; then we join again as a new member.
                lock (_groupLock)
                {
                    _memberId = null;
                    _latest = null;
                    _lostPending = true;
                    _assignmentChanged.TrySetResult();
                }
            }
            catch (FencedInstanceIdException exception)
            {
                lock (_groupLock)
                {
                    _fatal = exception;
                    _assignmentChanged.TrySetResult();
                }

                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (RetriableErrors.IsRetriable(exception))
            {
                // The group grain is moving between silos: the next heartbeat finds it.
            }
        }
    }

    /// <summary>
    /// Applies the newest assignment, or returns false after a pause when the broker could not answer (the group grain or
    /// a partition is moving between silos): the next turn of the consume loop picks up where this one stopped.
    /// </summary>
    private async Task<bool> TryReconcileAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReconcileAsync(cancellationToken);
            return true;
        }
        catch (Exception exception) when (RetriableErrors.IsRetriable(exception))
        {
            await Task.Delay(Options.RetryBackoff, _timeProvider, cancellationToken);
            return false;
        }
    }

    /// <summary>
    /// Applies the newest assignment the group sent: revoke, then assign, then tell the group at once. Safe to run again
    /// after a failure: revoked partitions are gone before the commit, and added ones are added again.
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        GroupAssignment? latest;
        bool lost;
        lock (_groupLock)
        {
            if (_fatal is { } fatal)
            {
                throw new FencedInstanceIdException(fatal.Message);
            }

            if (_assignmentChanged.Task.IsCompleted)
            {
                _assignmentChanged = NewSignal();
            }

            latest = _latest;
            lost = _lostPending;
            _lostPending = false;
        }

        if (lost && _fetchers.Count > 0)
        {
            var lostPartitions = _fetchers.Keys.ToList();
            _fetchers.Clear();
            lock (_groupLock)
            {
                _owned.Clear();
            }

            if (Options.PartitionsLost is { } onLost)
            {
                await onLost(lostPartitions);
            }
        }

        if (latest is null || ReferenceEquals(latest, _applied))
        {
            return;
        }

        var target = latest.Assignment.ToHashSet();
        var revoked = _fetchers.Keys.Where(p => !target.Contains(p)).ToList();
        if (revoked.Count > 0)
        {
            if (Options.PartitionsRevoked is { } onRevoked)
            {
                await onRevoked(revoked);
            }

            // The fetchers go before the commit awaits: a cancelled commit must not leave them to be revoked again on
            // dispose. The group still counts them as owned until the commit is done, so no one else reads them yet.
            var positions = revoked.Select(p => new TopicPartitionOffset(p, _fetchers[p].Position)).ToList();
            foreach (var partition in revoked)
            {
                _fetchers.Remove(partition);
            }

            try
            {
                if (Options.EnableAutoCommit)
                {
                    await TryCommitAsync(positions, cancellationToken);
                }
            }
            finally
            {
                lock (_groupLock)
                {
                    _owned.ExceptWith(revoked);
                }
            }
        }

        ImmutableArray<TopicPartition> added = [.. latest.Assignment.Where(p => !_fetchers.ContainsKey(p))];
        if (added.Length > 0)
        {
            // Owned before the first fetch: a heartbeat never reports less than the consumer may be reading.
            lock (_groupLock)
            {
                _owned.UnionWith(added);
            }

            await AddFetchersAsync(added, cancellationToken);
            if (Options.PartitionsAssigned is { } onAssigned)
            {
                await onAssigned(added);
            }
        }

        lock (_groupLock)
        {
            _applied = latest;
        }

        HeartbeatNow();
    }

    private Task CommitAsMemberAsync(ImmutableArray<TopicPartitionOffset> offsets)
    {
        string? memberId;
        int generation;
        lock (_groupLock)
        {
            memberId = _memberId;
            generation = _latest?.Generation ?? -1;
        }

        return memberId is null
            ? Task.FromException(new UnknownMemberException("The consumer is rejoining its group; it owns no partitions to commit."))
            : Group.CommitOffsetsAsync(memberId, generation, offsets);
    }

    /// <summary>Commits for auto-commit: a commit the group refuses (a rebalance moved on) is dropped, not thrown.</summary>
    private async Task TryCommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken)
    {
        try
        {
            await CommitAsync(offsets, cancellationToken);
        }
        catch (BrokerException exception) when (Subscribed && exception is UnknownMemberException or IllegalGenerationException or FencedInstanceIdException)
        {
            // The records stay uncommitted, so they are read again by the next owner: at least once, never skipped.
        }
        catch (Exception exception) when (RetriableErrors.IsRetriable(exception))
        {
            // The group grain is moving between silos: the next commit carries these positions, or the next owner reads
            // the records again.
        }
    }

    private async Task StopMembershipAsync()
    {
        if (_heartbeatStop is { } stop)
        {
            await stop.CancelAsync();
            await _heartbeatLoop!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            stop.Dispose();
        }

        // Notices that still come (to a static member, which stays in the group) are dropped by the client runtime.
        if (_observer is { } observer)
        {
            _grainFactory.DeleteObjectReference<IConsumerGroupObserver>(observer);
            _observer = null;
        }
    }

    /// <summary>Sends a heartbeat now (when the loop is waiting; right after the one in flight otherwise).</summary>
    private void HeartbeatNow()
    {
        lock (_groupLock)
        {
            _heartbeatNow.TrySetResult();
        }
    }

    /// <summary>
    /// One last heartbeat after the loop stopped, to learn the current generation: the final commit is then accepted
    /// for every partition the group still counts as ours, even when a rebalance started meanwhile.
    /// </summary>
    private async Task RefreshGenerationAsync()
    {
        string? memberId;
        int generation;
        ImmutableArray<TopicPartition> owned;
        lock (_groupLock)
        {
            memberId = _memberId;
            generation = _applied is { } applied && applied.MemberId == memberId ? applied.Generation : -1;
            owned = [.. _owned];
        }

        if (memberId is not null)
        {
            try
            {
                Publish(await Group.HeartbeatAsync(memberId, generation, owned));
            }
            catch (BrokerException exception) when (exception is UnknownMemberException or FencedInstanceIdException)
            {
                // No longer a member: the commit that follows is refused and dropped, as it must be.
            }
        }
    }

    private async Task LeaveAsync()
    {
        var memberId = MemberId;
        if (memberId is not null && Options.GroupInstanceId is null)
        {
            try
            {
                await Group.LeaveAsync(memberId);
            }
            catch (BrokerException)
            {
                // Fenced or gone already: the group has no place of ours to free.
            }
        }
    }

    /// <summary>The member's observer: the group's notices only hurry the next heartbeat, whose answer is what counts.</summary>
    private sealed class RebalanceNotices(Consumer consumer) : IConsumerGroupObserver
    {
        public Task AssignmentChangedAsync()
        {
            consumer.HeartbeatNow();
            return Task.CompletedTask;
        }
    }
}
