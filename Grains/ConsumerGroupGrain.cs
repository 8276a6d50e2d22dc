using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using OrleansBroker.Grains.Groups;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains;

/// <summary>
/// A consumer group: membership and assignment in memory, committed offsets persisted. Server-side assignment with
/// incremental reconciliation (as in Kafka's KIP-848): a change of membership or subscription starts a generation
/// with a new target assignment; a member keeps the partitions of its target it owns, gives up (commits and stops
/// fetching) the ones it no longer targets, and receives a targeted partition only once its previous owner reported,
/// at the current generation, that it gave it up. So a partition never has two owners. Members learn of both steps
/// from their heartbeats; a member that joined with an observer is also told at once to heartbeat (one-way, best effort).
/// </summary>
public sealed partial class ConsumerGroupGrain(
    [PersistentState("group", BrokerStorage.MetadataStorageName)] IPersistentState<ConsumerGroupState> state,
    IOptions<BrokerOptions> options,
    TimeProvider timeProvider) : Grain, IConsumerGroupGrain
{
    private static readonly TimeSpan MaxSessionTimeout = TimeSpan.FromMinutes(30);
    private readonly TimeSpan _heartbeatInterval = options.Value.GroupHeartbeatInterval;
    private readonly TimeSpan _initialRebalanceDelay = options.Value.GroupInitialRebalanceDelay;
    private readonly Dictionary<string, GroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _instances = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fenced = new(StringComparer.Ordinal);
    private readonly Dictionary<TopicPartition, GroupMember> _owners = [];
    private readonly Dictionary<string, int> _partitionCounts = new(StringComparer.Ordinal);
    private PartitionAssignor? _assignor;
    private int _generation;
    private IGrainTimer? _expiryTimer;
    private IGrainTimer? _initialDelay;
    private bool _registered;

    private string GroupId => this.GetPrimaryKeyString();

    public async Task CommitOffsetsAsync(ImmutableArray<TopicPartitionOffset> offsets)
    {
        await ExpireMembersAsync();
        if (_members.Count > 0)
        {
            throw new UnknownMemberException($"Group '{GroupId}' has members: a commit must name the member and its generation.");
        }

        await StoreOffsetsAsync(offsets, forwardOnly: true);
    }

    public async Task CommitOffsetsAsync(string memberId, int generation, ImmutableArray<TopicPartitionOffset> offsets)
    {
        await ExpireMembersAsync();
        var member = RequireMember(memberId);
        if (generation != _generation)
        {
            throw new IllegalGenerationException($"Generation {generation} of group '{GroupId}' is not the current one ({_generation}).");
        }

        foreach (var offset in offsets)
        {
            if (!member.Owned.Contains(offset.TopicPartition))
            {
                throw new IllegalGenerationException($"Partition {offset.TopicPartition} is not owned by member {memberId} of group '{GroupId}'.");
            }
        }

        await StoreOffsetsAsync(offsets, forwardOnly: true);
    }

    public Task<ImmutableArray<TopicPartitionOffset>> FetchOffsetsAsync(ImmutableArray<TopicPartition> partitions)
    {
        var builder = ImmutableArray.CreateBuilder<TopicPartitionOffset>(partitions.Length);
        foreach (var partition in partitions)
        {
            if (state.State.Offsets.TryGetValue(partition.ToString(), out var offset))
            {
                builder.Add(new TopicPartitionOffset(partition, offset));
            }
        }

        return Task.FromResult(builder.ToImmutable());
    }

    public async Task<GroupAssignment> JoinAsync(JoinGroupRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Topics.IsDefaultOrEmpty)
        {
            throw new InvalidRequestException("A member must subscribe to at least one topic.");
        }

        foreach (var topic in request.Topics)
        {
            TopicName.Validate(topic);
        }

        if (request.SessionTimeout <= TimeSpan.Zero || request.SessionTimeout > MaxSessionTimeout)
        {
            throw new InvalidRequestException($"The session timeout must be above 0 and at most {MaxSessionTimeout}, not {request.SessionTimeout}.");
        }

        await ExpireMembersAsync();
        if (_members.Count > 0 && _assignor != request.Assignor)
        {
            throw new InvalidRequestException($"Group '{GroupId}' uses the {_assignor} assignor, not {request.Assignor}.");
        }

        var topics = request.Topics.Distinct().Order(StringComparer.Ordinal).ToImmutableArray();
        GroupMember member;
        bool rebalance;
        if (request.MemberId is { } memberId)
        {
            member = RequireMember(memberId);
            rebalance = !member.Topics.SequenceEqual(topics);
        }
        else if (request.GroupInstanceId is { } instanceId && _instances.TryGetValue(instanceId, out var previousId))
        {
            // A static member came back: it takes the old member's place and assignment, and the old id is fenced.
            member = _members[previousId];
            _members.Remove(previousId);
            _fenced.Add(previousId);
            member.Id = NewMemberId();
            _members.Add(member.Id, member);
            _instances[instanceId] = member.Id;
            rebalance = !member.Topics.SequenceEqual(topics);
        }
        else
        {
            if (_members.Count == 0)
            {
                StartInitialDelay();
            }

            member = new GroupMember(NewMemberId(), request.GroupInstanceId);
            _members.Add(member.Id, member);
            if (member.InstanceId is { } newInstanceId)
            {
                _instances.Add(newInstanceId, member.Id);
            }

            rebalance = true;
        }

        _assignor = request.Assignor;
        member.Topics = topics;
        member.SessionTimeout = request.SessionTimeout;
        member.Observer = request.Observer;
        member.LastSeen = timeProvider.GetTimestamp();
        if (rebalance)
        {
            await RebalanceAsync(member);
        }

        StartExpiryTimer();
        await RegisterAsync();
        return Grant(member);
    }

    public async Task<GroupAssignment> HeartbeatAsync(string memberId, int generation, ImmutableArray<TopicPartition> owned)
    {
        await ExpireMembersAsync();
        var member = RequireMember(memberId);
        member.LastSeen = timeProvider.GetTimestamp();

        // Every assignment sent in this generation left out the partitions the member no longer targets, and the member
        // only ever moves to newer assignments: a report at this generation without one of them means it is given up.
        if (generation == _generation)
        {
            var reported = owned.IsDefault ? [] : owned.ToHashSet();
            var released = member.Owned.Where(p => !member.Target.Contains(p) && !reported.Contains(p)).ToList();
            foreach (var partition in released)
            {
                member.Owned.Remove(partition);
                _owners.Remove(partition);
            }

            // Their new owners take them with their next heartbeat: ask for it now.
            await NotifyAsync(_members.Values.Where(m => m != member && m.Target.Overlaps(released)));
        }

        return Grant(member);
    }

    public async Task LeaveAsync(string memberId)
    {
        if (_fenced.Contains(memberId))
        {
            throw new FencedInstanceIdException($"Member {memberId} of group '{GroupId}' was replaced by a member with its group instance id.");
        }

        if (_members.TryGetValue(memberId, out var member))
        {
            Remove(member);
            await RebalanceAsync();
        }
    }

    public async Task<GroupDescription> DescribeAsync()
    {
        await ExpireMembersAsync();
        var partitions = _partitionCounts
            .SelectMany(t => Enumerable.Range(0, t.Value).Select(p => new TopicPartition(t.Key, p)))
            .Concat(state.State.Offsets.Keys.Select(TopicPartition.Parse))
            .Distinct()
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)
            .ToList();
        var highWatermarks = await Task.WhenAll(partitions.Select(HighWatermarkAsync));
        var described = partitions.Select((partition, i) =>
        {
            long? committed = state.State.Offsets.TryGetValue(partition.ToString(), out var offset) ? offset : null;
            var highWatermark = highWatermarks[i];
            return new GroupPartitionDescription(
                partition, committed, highWatermark, highWatermark - committed, _owners.TryGetValue(partition, out var owner) ? owner.Id : null);
        });
        var members = _members.Values
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .Select(m => new GroupMemberDescription(m.Id, m.InstanceId, m.Topics, Sorted(m.Owned), Sorted(m.Target)));
        var groupState = _members.Count == 0 ? GroupState.Empty
            : _members.Values.All(m => m.Owned.SetEquals(m.Target)) ? GroupState.Stable
            : GroupState.Reconciling;
        return new GroupDescription(GroupId, groupState, _generation, _assignor, [.. members], [.. described]);
    }

    public async Task ResetOffsetsAsync(ImmutableArray<TopicPartitionOffset> offsets)
    {
        await ExpireMembersAsync();
        if (_members.Count > 0)
        {
            throw new NonEmptyGroupException($"Group '{GroupId}' has {_members.Count} member(s); stop them before resetting its offsets.");
        }

        await StoreOffsetsAsync(offsets, forwardOnly: false);
    }

    private static string NewMemberId() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// A group without members waits a while after its first member joined before it hands out partitions (Kafka's
    /// <c>group.initial.rebalance.delay.ms</c>): members that join meanwhile share the first assignment instead of each
    /// taking partitions from the members before it, which costs the owner a commit and the partition a refetch.
    /// </summary>
    private void StartInitialDelay()
    {
        if (_initialRebalanceDelay > TimeSpan.Zero)
        {
            _initialDelay ??= this.RegisterGrainTimer(EndInitialDelayAsync, new GrainTimerCreationOptions(_initialRebalanceDelay, Timeout.InfiniteTimeSpan));
        }
    }

    private async Task EndInitialDelayAsync(CancellationToken cancellationToken)
    {
        _initialDelay?.Dispose();
        _initialDelay = null;
        await RebalanceAsync();
    }

    private void StartExpiryTimer() =>
        _expiryTimer ??= this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(_heartbeatInterval, _heartbeatInterval) { Interleave = true });

    private static ImmutableArray<TopicPartition> Sorted(IEnumerable<TopicPartition> partitions) =>
        [.. partitions.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)];

    private GroupMember RequireMember(string memberId)
    {
        if (_fenced.Contains(memberId))
        {
            throw new FencedInstanceIdException($"Member {memberId} of group '{GroupId}' was replaced by a member with its group instance id.");
        }

        return _members.TryGetValue(memberId, out var member)
            ? member
            : throw new UnknownMemberException($"Member {memberId} is not in group '{GroupId}'; rejoin.");
    }

    /// <summary>Hands the member the free partitions of its target, and answers with what it may own now.</summary>
    private GroupAssignment Grant(GroupMember member)
    {
        // A new group hands out nothing while it waits out its initial delay.
        if (_initialDelay is null)
        {
            foreach (var partition in member.Target)
            {
                if (_owners.TryAdd(partition, member))
                {
                    member.Owned.Add(partition);
                }
            }
        }

        // While partitions move, members heartbeat ten times as often: a revoke reaches its owner, and a freed
        // partition its new owner, in a fraction of the interval instead of up to two full ones.
        var interval = TimeSpan.FromTicks(Math.Min(_heartbeatInterval.Ticks, member.SessionTimeout.Ticks / 3));
        if (_members.Values.Any(m => !m.Owned.SetEquals(m.Target)))
        {
            interval /= 10;
        }

        return new GroupAssignment(member.Id, _generation, Sorted(member.Owned.Where(member.Target.Contains)), interval);
    }

    private void Remove(GroupMember member)
    {
        _members.Remove(member.Id);
        if (member.InstanceId is { } instanceId)
        {
            _instances.Remove(instanceId);
        }

        foreach (var partition in member.Owned)
        {
            _owners.Remove(partition);
        }
    }

    private async Task ExpireMembersAsync()
    {
        var expired = _members.Values.Where(m => timeProvider.GetElapsedTime(m.LastSeen) > m.SessionTimeout).ToList();
        if (expired.Count > 0)
        {
            foreach (var member in expired)
            {
                Remove(member);
            }

            await RebalanceAsync();
        }
    }

    /// <param name="caller">The member whose call started the rebalance: its answer carries the new generation.</param>
    private async Task RebalanceAsync(GroupMember? caller = null)
    {
        await RefreshPartitionCountsAsync();
        await StartGenerationAsync(caller);
    }

    /// <summary>
    /// Starts a generation: the assignor's target for each member, from the current targets (for stickiness). Every
    /// other member is asked to heartbeat now (unless the group waits out its initial delay, at whose end it asks all):
    /// it must give up partitions, or commit at the new generation.
    /// </summary>
    private async Task StartGenerationAsync(GroupMember? caller)
    {
        _generation++;
        if (_members.Count == 0)
        {
            _assignor = null;
            return;
        }

        var members = _members.Values.Select(m => new AssignorMember(m.Id, m.Topics.ToHashSet(StringComparer.Ordinal), m.Target)).ToList();
        var targets = PartitionAssignors.Assign(_assignor ?? PartitionAssignor.Sticky, members, _partitionCounts);
        foreach (var member in _members.Values)
        {
            member.Target = targets[member.Id];
        }

        if (_initialDelay is null)
        {
            await NotifyAsync(_members.Values.Where(m => m != caller));
        }
    }

    /// <summary>
    /// Asks members to heartbeat now. The calls are one-way, so they complete once sent: a member that is slow, gone or
    /// unreachable delays nothing here, and one that misses the notice learns the change at its next heartbeat.
    /// </summary>
    private static async Task NotifyAsync(IEnumerable<GroupMember> members)
    {
        foreach (var member in members.ToList())
        {
            if (member.Observer is { } observer)
            {
                await observer.AssignmentChangedAsync();
            }
        }
    }

    /// <returns>Whether a subscribed topic appeared, disappeared or grew.</returns>
    private async Task<bool> RefreshPartitionCountsAsync()
    {
        var topics = _members.Values.SelectMany(m => m.Topics).Distinct().ToList();
        var counts = await Task.WhenAll(topics.Select(PartitionCountAsync));
        var fresh = topics.Zip(counts).Where(t => t.Second > 0).ToDictionary(t => t.First, t => t.Second, StringComparer.Ordinal);
        var changed = fresh.Count != _partitionCounts.Count || fresh.Any(t => !_partitionCounts.TryGetValue(t.Key, out var count) || count != t.Value);
        _partitionCounts.Clear();
        foreach (var (topic, count) in fresh)
        {
            _partitionCounts[topic] = count;
        }

        return changed;
    }

    private async Task<int> PartitionCountAsync(string topic)
    {
        try
        {
            return (await GrainFactory.GetGrain<ITopicGrain>(topic).GetMetadataAsync()).Config.Partitions;
        }
        catch (UnknownTopicOrPartitionException)
        {
            // A subscription may name a topic before it exists (as in Kafka); it gets partitions once it does.
            return 0;
        }
    }

    private async Task<long?> HighWatermarkAsync(TopicPartition partition)
    {
        try
        {
            return (await GrainFactory.GetGrain<IPartitionGrain>(partition.ToString()).GetInfoAsync()).HighWatermark;
        }
        catch (UnknownTopicOrPartitionException)
        {
            return null;
        }
    }

    /// <summary>Expires silent members, and notices topics that grew, without waiting for a member to call.</summary>
    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        await ExpireMembersAsync();
        if (_members.Count == 0)
        {
            _expiryTimer?.Dispose();
            _expiryTimer = null;
        }
        else if (await RefreshPartitionCountsAsync())
        {
            await StartGenerationAsync(caller: null);
        }
    }

    private async Task StoreOffsetsAsync(ImmutableArray<TopicPartitionOffset> offsets, bool forwardOnly)
    {
        foreach (var offset in offsets)
        {
            if (offset.Offset < 0)
            {
                throw new InvalidRequestException($"Cannot commit the negative offset {offset.Offset} for {offset.TopicPartition}.");
            }
        }

        var changed = false;
        foreach (var offset in offsets)
        {
            var key = offset.TopicPartition.ToString();
            var known = state.State.Offsets.TryGetValue(key, out var current);
            if (!known || (forwardOnly ? offset.Offset > current : offset.Offset != current))
            {
                state.State.Offsets[key] = offset.Offset;
                changed = true;
            }
        }

        if (changed)
        {
            // A failed write (another activation wrote the state during a handover, say) is the retriable StorageError,
            // and this activation makes way for one that reads the state again (BrokerPersistentState).
            await state.WriteStateAsync();
        }

        await RegisterAsync();
    }

    private async Task RegisterAsync()
    {
        if (!_registered)
        {
            await GrainFactory.GetGrain<IConsumerGroupRegistryGrain>(0).AddAsync(GroupId);
            _registered = true;
        }
    }
}
