using System.CommandLine;
using System.Globalization;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client;
using OrleansBroker.Client.Consuming;

namespace OrleansBroker.Cli.Commands;

/// <summary><c>obroker consume</c>: print record values, one per line.</summary>
internal static class ConsumeCommand
{
    private const byte Tab = (byte)'\t';
    private const byte Newline = (byte)'\n';
    private static readonly byte[] NullText = "null"u8.ToArray();

    public static Command Create()
    {
        var topic = CliOptions.TopicArgument("The topic to consume (all of its partitions).");
        var group = new Option<string?>("--group", "-g")
        {
            Description = "Join this consumer group: it shares the topic's partitions among its members; start from its committed "
                + "offsets, and commit what was printed when a partition moves away and on exit (also on Ctrl+C).",
        };
        var fromBeginning = new Option<bool>("--from-beginning")
        {
            Description = "Start partitions without a committed offset at their first record instead of at the end.",
        };
        var maxMessages = CliOptions.AtLeast(new Option<long?>("--max-messages", "-n") { Description = "Exit after printing this many records." }, 1L);
        var timeoutMs = CliOptions.AtLeast(new Option<int?>("--timeout-ms")
        {
            Description = "Exit when no record arrives for this many milliseconds.",
        }, 1);
        var printKey = new Option<bool>("--print-key") { Description = "Print each record's key and a tab before its value (null for none)." };
        var printOffset = new Option<bool>("--print-offset")
        {
            Description = "Print each record's partition:offset and a tab first.",
        };
        var command = new Command(
            "consume",
            "Print the values of a topic's records to standard output, one per line (flushed whenever no record is waiting). Without --from-beginning and without "
            + "a committed group offset, only records produced from now on are printed. Runs until Ctrl+C, --max-messages "
            + "or --timeout-ms.")
        {
            topic,
            group,
            fromBeginning,
            maxMessages,
            timeoutMs,
            printKey,
            printOffset,
        };
        command.SetBrokerAction((client, result, cancellationToken) => new Consumption(
            client,
            result.GetRequiredValue(topic),
            result.GetValue(group),
            result.GetValue(fromBeginning),
            result.GetValue(maxMessages) ?? long.MaxValue,
            result.GetValue(timeoutMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : Timeout.InfiniteTimeSpan,
            new OutputFormat(result.GetValue(printKey), result.GetValue(printOffset))).RunAsync(cancellationToken));
        return command;
    }

    private readonly record struct OutputFormat(bool PrintKey, bool PrintOffset);

    private sealed class Consumption(
        BrokerClient client, string topic, string? group, bool fromBeginning, long maxMessages, TimeSpan idleTimeout, OutputFormat format)
    {
        public async Task<int> RunAsync(CancellationToken cancellationToken)
        {
            var stdout = Console.OpenStandardOutput();
            await using var output = new BufferedStream(stdout, 64 * 1024);
            Consumer? self = null;
            await using var consumer = client.CreateConsumer(new ConsumerOptions
            {
                GroupId = group,
                AutoOffsetReset = fromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,

                // Only what reached standard output is committed, once it is flushed: never a record still in a buffer.
                EnableAutoCommit = false,

                // The group moves partitions to other members: print and commit what we read of them first.
                PartitionsRevoked = async revoked =>
                {
                    await output.FlushAsync(CancellationToken.None);
                    await self!.CommitAsync(revoked.Select(p => new TopicPartitionOffset(p, self.Position(p))), CancellationToken.None);
                },
            });
            self = consumer;
            if (group is null)
            {
                await consumer.AssignAsync(topic, cancellationToken);
            }
            else
            {
                await consumer.SubscribeAsync([topic], cancellationToken);
            }

            await PrintLoop.RunAsync(
                consumer.ConsumeAsync,
                output,
                maxMessages,
                idleTimeout,
                record =>
                {
                    Write(output, record);
                    return ValueTask.CompletedTask;
                },
                cancellationToken);
            return ExitCodes.Success;
        }

        private void Write(BufferedStream output, in ConsumeResult record)
        {
            if (format.PrintOffset)
            {
                Span<byte> number = stackalloc byte[48];
                var written = Utf8Format(number, record.TopicPartition.Partition, record.Offset);
                output.Write(number[..written]);
                output.WriteByte(Tab);
            }

            if (format.PrintKey)
            {
                output.Write(record.Key is { } key ? key.Span : NullText);
                output.WriteByte(Tab);
            }

            output.Write(record.Record.Value.Span);
            output.WriteByte(Newline);
        }

        private static int Utf8Format(Span<byte> destination, int partition, long offset)
        {
            partition.TryFormat(destination, out var written, default, CultureInfo.InvariantCulture);
            destination[written++] = (byte)':';
            offset.TryFormat(destination[written..], out var more, default, CultureInfo.InvariantCulture);
            return written + more;
        }
    }
}
