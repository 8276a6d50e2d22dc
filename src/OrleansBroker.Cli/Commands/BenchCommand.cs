using System.CommandLine;
using OrleansBroker.Cli.Bench;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client;

namespace OrleansBroker.Cli.Commands;

/// <summary><c>obroker bench produce|consume|group|queue|e2e</c>.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command(
            "bench",
            "Measure throughput and latency. Progress goes to standard error each second; the results and a final "
            + "key=value summary line go to standard output. The topic is created when it does not exist.");
        bench.Subcommands.Add(CreateBench(
            "produce",
            "Producers send --records records of --record-size bytes as fast as back-pressure allows; reports throughput and acknowledgement latency.",
            ProduceBench.RunAsync));
        bench.Subcommands.Add(CreateBench(
            "consume",
            "Read --records records from the beginning of every partition (run 'bench produce' first); reports throughput.",
            ConsumeBench.RunAsync));
        bench.Subcommands.Add(CreateBench(
            "group",
            "--consumers consumers in one new consumer group (one process) read --records records from the beginning (run 'bench produce' first); "
            + "reports their total throughput.",
            GroupBench.RunAsync));
        bench.Subcommands.Add(CreateBench(
            "e2e",
            "One consumer waits at the end of the topic while one producer sends --records records at --rate records/s, "
            + "each stamped with its send time; reports end-to-end latency and the achieved rate.",
            EndToEndBench.RunAsync));
        bench.Subcommands.Add(QueueBench.CreateCommand());
        return bench;
    }

    private static Command CreateBench(string name, string description, Func<BrokerClient, BenchSettings, CancellationToken, Task<int>> run)
    {
        var topic = CliOptions.TopicArgument("The topic to use.");
        var records = CliOptions.AtLeast(new Option<long>("--records", "-n") { Description = "How many records.", DefaultValueFactory = _ => 1_000_000 }, 1L);
        var minimumSize = name == "e2e" ? EndToEndBench.StampSize : 0;
        var recordSize = CliOptions.AtLeast(
            new Option<int>("--record-size", "-s") { Description = "The size of each value in bytes.", DefaultValueFactory = _ => 100 },
            minimumSize);
        var producers = CliOptions.AtLeast(
            new Option<int>("--producers") { Description = "How many producers share the records (produce).", DefaultValueFactory = _ => 1 }, 1);
        var rate = CliOptions.AtLeast(
            new Option<int>("--rate") { Description = "Records per second the producer sends (e2e).", DefaultValueFactory = _ => 10_000 }, 1);
        var partitions = CliOptions.AtLeast(
            new Option<int>("--partitions", "-p") { Description = "Partitions of the topic when the bench creates it.", DefaultValueFactory = _ => 4 }, 1);
        var consumers = CliOptions.AtLeast(
            new Option<int>("--consumers") { Description = "How many consumers share the group (group).", DefaultValueFactory = _ => 4 }, 1);
        var command = new Command(name, description) { topic, records, recordSize, producers, rate, partitions, consumers };
        command.SetBrokerAction((client, result, cancellationToken) => run(
            client,
            new BenchSettings(
                result.GetRequiredValue(topic),
                result.GetValue(records),
                result.GetValue(recordSize),
                result.GetValue(producers),
                result.GetValue(rate),
                result.GetValue(partitions),
                result.GetValue(consumers)),
            cancellationToken));
        return command;
    }
}
