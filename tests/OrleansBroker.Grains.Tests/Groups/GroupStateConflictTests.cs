using System.Collections.Immutable;
using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>A group whose stored state another writer changed: the client gets the broker's retriable error, not the storage's.</summary>
[Collection(GroupClusterDefinition.Name)]
public sealed class GroupStateConflictTests(GroupClusterFixture fixture)
{
    [Fact]
    public async Task A_commit_that_loses_a_state_write_race_fails_retriably_and_its_retry_is_stored()
    {
        var groupId = GroupClusterFixture.NewGroup();
        var group = fixture.Group(groupId);
        var partition = new TopicPartition("orders", 0);
        await group.CommitOffsetsAsync([new TopicPartitionOffset(partition, 5)]);

        // Another writer (as a second activation during a handover would) stores the group's state behind its back.
        var storage = fixture.MetadataStorage;
        var stored = new GrainState<ConsumerGroupState>(new ConsumerGroupState());
        await storage.ReadStateAsync("group", group.GetGrainId(), stored);
        await storage.WriteStateAsync("group", group.GetGrainId(), stored);

        ImmutableArray<TopicPartitionOffset> next = [new TopicPartitionOffset(partition, 9)];
        var refused = await Assert.ThrowsAsync<StorageErrorException>(() => group.CommitOffsetsAsync(next));
        await group.CommitOffsetsAsync(next);

        Assert.True(refused.IsRetriable);
        Assert.Equal(9, (await fixture.ReadGroupStateAsync(groupId)).Offsets[partition.ToString()]);
    }
}
