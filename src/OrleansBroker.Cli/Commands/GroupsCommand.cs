using System.CommandLine;
using System.Globalization;
using OrleansBroker.Cli.Connection;

namespace OrleansBroker.Cli.Commands;

/// <summary><c>obroker groups list|describe|reset-offsets</c>.</summary>
internal static class GroupsCommand
{
    public static Command Create()
    {
        var groups = new Command("groups", "List, describe and reset consumer groups.");
        groups.Subcommands.Add(CreateList());
        groups.Subcommands.Add(CreateDescribe());
        groups.Subcommands.Add(CreateResetOffsets());
        return groups;
    }

    private static Argument<string> GroupArgument(string description) => new("group") { Description = description };

    private static Command CreateList()
    {
        var command = new Command("list", "List the ids of all consumer groups, one per line.");
        command.SetBrokerAction(async (client, _, _) =>
        {
            foreach (var group in await client.Admin.ListGroupsAsync())
            {
                await Console.Out.WriteLineAsync(group);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateDescribe()
    {
        var group = GroupArgument("The group to describe.");
        var command = new Command(
            "describe",
            "Describe a consumer group: its state and generation, its members with their assignments, then per partition the "
            + "committed offset, high watermark, lag and owning member ('-' where there is none).")
        {
            group,
        };
        command.SetBrokerAction(async (client, result, _) =>
        {
            var description = await client.Admin.DescribeGroupAsync(result.GetRequiredValue(group));
            var output = Console.Out;
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"Group: {description.GroupId}\tState: {description.State}\tGeneration: {description.Generation}\tAssignor: {description.Assignor?.ToString() ?? "-"}\tMembers: {description.Members.Length}"));
            foreach (var member in description.Members)
            {
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Member: {member.MemberId}\tInstance: {member.GroupInstanceId ?? "-"}\tTopics: {string.Join(',', member.Topics)}\tAssignment: {string.Join(',', member.Assignment)}"));
            }

            await output.WriteLineAsync($"{"TOPIC",-30} {"PARTITION",9} {"COMMITTED",14} {"HIGH-WATERMARK",16} {"LAG",12} OWNER");
            foreach (var partition in description.Partitions)
            {
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{partition.TopicPartition.Topic,-30} {partition.TopicPartition.Partition,9} {Text(partition.CommittedOffset),14} {Text(partition.HighWatermark),16} {Text(partition.Lag),12} {partition.Owner ?? "-"}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateResetOffsets()
    {
        var group = GroupArgument("The group whose committed offsets to set; it must have no members.");
        var topic = new Option<string>("--topic", "-t") { Description = "The topic whose partitions to reset (all of them).", Required = true };
        var toEarliest = new Option<bool>("--to-earliest") { Description = "Each partition's log start offset." };
        var toLatest = new Option<bool>("--to-latest") { Description = "Each partition's high watermark." };
        var toOffset = CliOptions.AtLeast(new Option<long?>("--to-offset") { Description = "This offset, kept within each partition's range." }, 0L);
        var toTimestamp = CliOptions.AtLeast(
            new Option<long?>("--to-timestamp") { Description = "The first offset at or after this Unix time in milliseconds." }, 0L);
        var command = new Command(
            "reset-offsets",
            "Set a consumer group's committed offsets for every partition of a topic; refused while the group has members. "
            + "Give exactly one of --to-earliest, --to-latest, --to-offset, --to-timestamp.")
        {
            group,
            topic,
            toEarliest,
            toLatest,
            toOffset,
            toTimestamp,
        };
        command.Validators.Add(result =>
        {
            var chosen = (result.GetValue(toEarliest) ? 1 : 0) + (result.GetValue(toLatest) ? 1 : 0)
                + (result.GetValue(toOffset) is null ? 0 : 1) + (result.GetValue(toTimestamp) is null ? 0 : 1);
            if (chosen != 1)
            {
                result.AddError("Give exactly one of --to-earliest, --to-latest, --to-offset, --to-timestamp.");
            }
        });
        command.SetBrokerAction(async (client, result, _) =>
        {
            var groupId = result.GetRequiredValue(group);
            var topicName = result.GetRequiredValue(topic);
            var offsets = result.GetValue(toOffset) is { } offset
                ? await client.Admin.ResetOffsetsAsync(groupId, topicName, offset)
                : await client.Admin.ResetOffsetsAsync(groupId, topicName, result.GetValue(toEarliest) ? OffsetSpec.Earliest
                    : result.GetValue(toTimestamp) is { } timestamp ? OffsetSpec.ForTimestamp(timestamp)
                    : OffsetSpec.Latest);
            await Console.Out.WriteLineAsync($"{"TOPIC",-30} {"PARTITION",9} {"NEW-OFFSET",14}");
            foreach (var reset in offsets)
            {
                await Console.Out.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture, $"{reset.TopicPartition.Topic,-30} {reset.TopicPartition.Partition,9} {reset.Offset,14}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string Text(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
