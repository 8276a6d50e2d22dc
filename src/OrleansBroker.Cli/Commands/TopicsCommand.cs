using System.CommandLine;
using System.Globalization;
using OrleansBroker.Cli.Connection;

namespace OrleansBroker.Cli.Commands;

/// <summary><c>obroker topics create|list|describe|delete</c>.</summary>
internal static class TopicsCommand
{
    public static Command Create()
    {
        var topics = new Command("topics", "Create, list, describe and delete topics.");
        topics.Subcommands.Add(CreateCreate());
        topics.Subcommands.Add(CreateList());
        topics.Subcommands.Add(CreateDescribe());
        topics.Subcommands.Add(CreateDelete());
        return topics;
    }

    private static Command CreateCreate()
    {
        var topic = CliOptions.TopicArgument("The topic to create: 1 to 249 characters of [a-zA-Z0-9._-].");
        var partitions = CliOptions.AtLeast(
            new Option<int>("--partitions", "-p") { Description = "The number of partitions.", DefaultValueFactory = _ => 1 }, 1);
        var retentionMs = new Option<long?>("--retention-ms")
        {
            Description = "How long records are kept, in milliseconds; -1 keeps them forever. Default: 7 days.",
        };
        var retentionBytes = new Option<long?>("--retention-bytes")
        {
            Description = "The most bytes a partition keeps before its oldest segments are deleted; -1 for no limit. Default: -1.",
        };
        var command = new Command("create", "Create a topic.") { topic, partitions, retentionMs, retentionBytes };
        command.SetBrokerAction(async (client, result, _) =>
        {
            var config = TopicConfig.Default with { Partitions = result.GetValue(partitions) };
            if (result.GetValue(retentionMs) is { } ms)
            {
                config = config with { RetentionMs = ms };
            }

            if (result.GetValue(retentionBytes) is { } bytes)
            {
                config = config with { RetentionBytes = bytes };
            }

            var metadata = await client.Admin.CreateTopicAsync(result.GetRequiredValue(topic), config);
            await Console.Out.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture, $"Created topic {metadata.Name} with {metadata.Config.Partitions} partition(s)."));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the names of all topics, one per line.");
        command.SetBrokerAction(async (client, _, _) =>
        {
            foreach (var name in await client.Admin.ListTopicsAsync())
            {
                await Console.Out.WriteLineAsync(name);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateDescribe()
    {
        var topic = CliOptions.TopicArgument("The topic to describe.");
        var command = new Command(
            "describe",
            "Describe a topic: its settings, then per partition its log start offset, high watermark and size in bytes.")
        {
            topic,
        };
        command.SetBrokerAction(async (client, result, _) =>
        {
            await WriteDescriptionAsync(await client.Admin.DescribeTopicAsync(result.GetRequiredValue(topic)));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateDelete()
    {
        var topic = CliOptions.TopicArgument("The topic to delete, with all of its records.");
        var command = new Command("delete", "Delete a topic and all of its records.") { topic };
        command.SetBrokerAction(async (client, result, _) =>
        {
            var name = result.GetRequiredValue(topic);
            await client.Admin.DeleteTopicAsync(name);
            await Console.Out.WriteLineAsync($"Deleted topic {name}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task WriteDescriptionAsync(TopicDescription description)
    {
        var config = description.Config;
        var output = Console.Out;
        await output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"Topic: {description.Name}\tPartitions: {config.Partitions}\tRetentionMs: {config.RetentionMs}\tRetentionBytes: {config.RetentionBytes}\tMaxMessageBytes: {config.MaxMessageBytes}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{"PARTITION",-10} {"LOG-START-OFFSET",18} {"HIGH-WATERMARK",18} {"SIZE-BYTES",16}"));
        foreach (var partition in description.Partitions.OrderBy(p => p.Partition))
        {
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{partition.Partition,-10} {partition.LogStartOffset,18} {partition.HighWatermark,18} {partition.SizeInBytes,16}"));
        }
    }
}
