using System.CommandLine;
using System.Globalization;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client;

namespace OrleansBroker.Cli.Commands;

/// <summary><c>obroker queue consume|describe</c>: queue groups, where members compete for records one by one.</summary>
internal static class QueueCommand
{
    private const string RejectReason = "rejected with obroker queue consume --reject";

    public static Command Create()
    {
        var queue = new Command("queue", "Consume from a queue group (each record goes to one member) and describe its delivery state.");
        queue.Subcommands.Add(CreateConsume());
        queue.Subcommands.Add(CreateDescribe());
        return queue;
    }

    private static Command CreateConsume()
    {
        var topic = CliOptions.TopicArgument("The topic to consume (all of its partitions).");
        var group = new Option<string>("--group", "-g") { Description = "The queue group to join.", Required = true };
        var maxMessages = CliOptions.AtLeast(new Option<long?>("--max-messages", "-n") { Description = "Exit after this many records." }, 1L);
        var release = new Option<bool>("--release") { Description = "Release each record instead of acknowledging it: it is delivered again." };
        var reject = new Option<bool>("--reject") { Description = "Reject each record instead of acknowledging it: it goes to the dead-letter topic." };
        var timeoutMs = CliOptions.AtLeast(new Option<int?>("--timeout-ms") { Description = "Exit when no record arrives for this many milliseconds." }, 1);
        var command = new Command(
            "consume",
            "Print the values of records leased to this member of a queue group, one per line, and acknowledge each one "
            + "(or release or reject it). Runs until Ctrl+C, --max-messages or --timeout-ms; records still held on exit are released.")
        {
            topic,
            group,
            maxMessages,
            release,
            reject,
            timeoutMs,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(release) && result.GetValue(reject))
            {
                result.AddError("--release and --reject cannot be used together.");
            }
        });
        command.SetBrokerAction((client, result, cancellationToken) => ConsumeAsync(
            client,
            result.GetRequiredValue(topic),
            result.GetRequiredValue(group),
            result.GetValue(maxMessages) ?? long.MaxValue,
            result.GetValue(release) ? Settle.Release : result.GetValue(reject) ? Settle.Reject : Settle.Acknowledge,
            result.GetValue(timeoutMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : Timeout.InfiniteTimeSpan,
            cancellationToken));
        return command;
    }

    private static Command CreateDescribe()
    {
        var group = new Argument<string>("group") { Description = "The queue group." };
        var topic = new Option<string>("--topic", "-t") { Description = "The topic the group reads.", Required = true };
        var command = new Command(
            "describe",
            "Per partition: the start offset (every record below it is done), the high watermark, and the records in flight, "
            + "waiting, acknowledged and dead-lettered.")
        {
            group,
            topic,
        };
        command.SetBrokerAction(async (client, result, _) =>
        {
            var partitions = await client.Admin.DescribeQueueGroupAsync(result.GetRequiredValue(group), result.GetRequiredValue(topic));
            var output = Console.Out;
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{"PARTITION",-10} {"START-OFFSET",14} {"HIGH-WATERMARK",16} {"IN-FLIGHT",10} {"WAITING",10} {"ACKNOWLEDGED",14} {"DEAD-LETTERED",14}"));
            foreach (var p in partitions)
            {
                await output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{p.Partition,-10} {p.StartOffset,14} {p.HighWatermark,16} {p.InFlight,10} {p.Available,10} {p.Acknowledged,14} {p.DeadLettered,14}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<int> ConsumeAsync(
        BrokerClient client, string topic, string group, long maxMessages, Settle settle, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        await using var consumer = client.CreateQueueConsumer(group, topic);
        await using var output = new BufferedStream(Console.OpenStandardOutput(), 64 * 1024);
        await PrintLoop.RunAsync(
            consumer.ConsumeAsync,
            output,
            maxMessages,
            idleTimeout,
            async record =>
            {
                output.Write(record.Record.Value.Span);
                output.WriteByte((byte)'\n');
                await (settle switch
                {
                    Settle.Release => record.ReleaseAsync(),
                    Settle.Reject => record.RejectAsync(RejectReason),
                    _ => record.AckAsync(),
                });
            },
            cancellationToken);

        // Acknowledgements still batched are sent, and records held by read-ahead are released when the consumer goes.
        await consumer.CommitAsync(CancellationToken.None);
        return ExitCodes.Success;
    }

    private enum Settle
    {
        Acknowledge,
        Release,
        Reject,
    }
}
