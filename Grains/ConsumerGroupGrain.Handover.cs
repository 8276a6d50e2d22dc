using OrleansBroker.Grains.Groups;
using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains;

/// <summary>
/// Hands the membership over when the activation deactivates in an orderly way (its silo shutting down, the silo that
/// held its directory entry leaving, or a requested deactivation): the membership is written next to the offsets, and
/// the next activation, on any silo, takes it back and clears it. Members keep their ids, generation and partitions,
/// instead of being unknown to the new activation, losing their partitions without a commit and reading again from the
/// last one. An activation whose own silo dies writes nothing, and its group's members rejoin as before.
/// </summary>
public sealed partial class ConsumerGroupGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Membership is not { } membership)
        {
            return;
        }

        Restore(membership);

        // Cleared at once: an activation that later dies must not leave this membership for the one after it.
        state.State.Membership = null;
        await state.WriteStateAsync(cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Its silo shutting down, or another silo that held its directory entry shutting down or dying (DirectoryFailure),
        // deactivates the one activation there is. Only a duplicate activation must not hand over its view of the group.
        if (_members.Count == 0 || reason.ReasonCode == DeactivationReasonCode.DuplicateActivation)
        {
            return;
        }

        state.State.Membership = Snapshot();
        await state.WriteStateAsync(cancellationToken);
    }

    private GroupMembershipSnapshot Snapshot() => new()
    {
        TakenAt = timeProvider.GetUtcNow(),
        Generation = _generation,
        Assignor = _assignor,
        Members =
        [
            .. _members.Values.Select(member => new GroupMemberSnapshot
            {
                Id = member.Id,
                InstanceId = member.InstanceId,
                Topics = [.. member.Topics],
                SessionTimeout = member.SessionTimeout,
                SilentFor = timeProvider.GetElapsedTime(member.LastSeen),
                Target = [.. member.Target.Select(p => p.ToString())],
                Owned = [.. member.Owned.Select(p => p.ToString())],
                Observer = member.Observer?.GetGrainId().ToString(),
            }),
        ],
        Fenced = [.. _fenced],
        PartitionCounts = new(_partitionCounts, StringComparer.Ordinal),
    };

    private void Restore(GroupMembershipSnapshot membership)
    {
        // The time between the two activations counts as silence: members that stayed away past their session expire.
        var gap = timeProvider.GetUtcNow() - membership.TakenAt;
        var now = timeProvider.GetTimestamp();
        _generation = membership.Generation;
        _assignor = membership.Assignor;
        _fenced.UnionWith(membership.Fenced);
        foreach (var (topic, count) in membership.PartitionCounts)
        {
            _partitionCounts[topic] = count;
        }

        foreach (var saved in membership.Members)
        {
            var silence = saved.SilentFor + (gap > TimeSpan.Zero ? gap : TimeSpan.Zero);
            var member = new GroupMember(saved.Id, saved.InstanceId)
            {
                Topics = [.. saved.Topics],
                SessionTimeout = saved.SessionTimeout,
                LastSeen = now - (long)(silence.TotalSeconds * timeProvider.TimestampFrequency),
                Target = [.. saved.Target.Select(TopicPartition.Parse)],
                Observer = saved.Observer is { } observer ? GrainFactory.GetGrain<IConsumerGroupObserver>(GrainId.Parse(observer)) : null,
            };
            member.Owned.UnionWith(saved.Owned.Select(TopicPartition.Parse));
            _members[member.Id] = member;
            if (member.InstanceId is { } instanceId)
            {
                _instances[instanceId] = member.Id;
            }

            foreach (var partition in member.Owned)
            {
                _owners[partition] = member;
            }
        }

        if (_members.Count > 0)
        {
            StartExpiryTimer();
        }
    }
}
