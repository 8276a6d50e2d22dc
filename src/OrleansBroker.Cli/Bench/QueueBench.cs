using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using OrleansBroker.Cli.Commands;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client;
using OrleansBroker.Client.Queues;

namespace OrleansBroker.Cli.Bench;

/// <summary>
/// <c>bench queue</c>: members of a new queue group read records with per-record acknowledgements until
/// --records are acknowledged (and durable); reports acknowledged records/s.
/// </summary>
internal static class QueueBench
{
    public static Command CreateCommand()
    {
        var topic = CliOptions.TopicArgument("The topic to read (run 'bench produce' first).");
        var records = CliOptions.AtLeast(new Option<long>("--records", "-n") { Description = "How many records to acknowledge.", DefaultValueFactory = _ => 1_000_000 }, 1L);
        var consumers = CliOptions.AtLeast(new Option<int>("--consumers", "-c") { Description = "Members of the queue group.", DefaultValueFactory = _ => 4 }, 1);
        var recordSize = CliOptions.AtLeast(new Option<int>("--record-size", "-s") { Description = "The record size to report MB/s with.", DefaultValueFactory = _ => 100 }, 0);
        var command = new Command(
            "queue",
            "Members of a new queue group compete for the topic's records from its beginning, acknowledging each one, until "
            + "--records are acknowledged durably; reports acknowledged records/s.")
        {
            topic,
            records,
            consumers,
            recordSize,
        };
        command.SetBrokerAction((client, result, cancellationToken) => RunAsync(
            client,
            new BenchSettings(
                result.GetRequiredValue(topic), result.GetValue(records), result.GetValue(recordSize), Producers: 1, Rate: 0, Partitions: 0, result.GetValue(consumers))
            {
                JsonPath = result.GetValue(BenchCommand.JsonOption),
            },
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(BrokerClient client, BenchSettings settings, CancellationToken cancellationToken)
    {
        var target = await settings.ReadTargetAsync(client);
        if (target == 0)
        {
            return ExitCodes.Failure;
        }

        var group = string.Create(CultureInfo.InvariantCulture, $"bench-{Guid.NewGuid():N}");
        var members = Enumerable.Range(0, settings.Consumers).Select(_ => client.CreateQueueConsumer(group, settings.Topic)).ToList();
        var remaining = target;
        var acknowledged = 0L;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var finished = 0L;
        await using (ProgressDisplay.Start("queue", () => Volatile.Read(ref acknowledged), settings.RecordSize))
        {
            stop.CancelAfter(BenchSettings.IdleTimeout);
            await Task.WhenAll(members.Select(member => Task.Run(() => ReadAsync(member), CancellationToken.None)));
        }

        var elapsed = Stopwatch.GetElapsedTime(started, finished == 0 ? Stopwatch.GetTimestamp() : finished);
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }

        // Members still acknowledge the records they hold while the last one stops them: the clock covers the target only.
        await BenchReport.WriteAsync(
            "queue", settings, Math.Min(acknowledged, target), elapsed, latency: null, string.Create(CultureInfo.InvariantCulture, $"consumers={settings.Consumers} group={group}"));
        return acknowledged >= target ? ExitCodes.Success : ExitCodes.Failure;

        async Task ReadAsync(QueueConsumer member)
        {
            try
            {
                await foreach (var record in member.ConsumeAsync(stop.Token))
                {
                    await record.AckAsync();
                    Interlocked.Increment(ref acknowledged);
                    var left = Interlocked.Decrement(ref remaining);
                    if (left == 0)
                    {
                        // Every record's acknowledgement is queued: the clock stops once all of them are durable.
                        await Task.WhenAll(members.Select(m => m.CommitAsync(CancellationToken.None)));
                        finished = Stopwatch.GetTimestamp();
                        await stop.CancelAsync();
                        break;
                    }

                    // Re-arming the idle timer costs more than a record: do it once per few thousand.
                    if ((left & 4095) == 0)
                    {
                        stop.CancelAfter(BenchSettings.IdleTimeout);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Another member acknowledged the last record, or the bench went idle.
            }

            // A refused acknowledgement fails the bench.
            await member.CommitAsync(CancellationToken.None);
        }
    }
}
