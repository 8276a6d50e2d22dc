using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using OrleansBroker.Cli.Bench;
using OrleansBroker.Cli.Connection;
using OrleansBroker.Client;
using OrleansBroker.Client.Producing;

namespace OrleansBroker.Cli.Commands;

/// <summary><c>obroker bench produce|consume|group|queue|e2e|transport|scale|chart</c>.</summary>
internal static class BenchCommand
{
    // One call's buffer must fit an Orleans message with room to spare.
    private const long MaxTransportCallBytes = 16 << 20;

    /// <summary><c>--json FILE</c>, on every bench that measures.</summary>
    public static Option<string?> JsonOption { get; } = new("--json")
    {
        Description = "Also append the summary to FILE as one JSON object per line (for 'bench chart').",
        HelpName = "FILE",
    };

    public static Command Create()
    {
        var bench = new Command(
            "bench",
            "Measure throughput and latency. Progress goes to standard error each second; the results and a final "
            + "key=value summary line go to standard output. The topic is created when it does not exist.");
        bench.Subcommands.Add(CreateProduceBench());
        bench.Subcommands.Add(CreateBench(
            "consume",
            "Read --records records from the beginning of every partition (run 'bench produce' first); reports throughput and the CPU "
            + "used per record by obroker and by a one-silo broker (client_cpu_us, silo_cpu_us).",
            [],
            (connection, _, settings, cancellationToken) => ConsumeBench.RunAsync(connection, settings, cancellationToken)));
        bench.Subcommands.Add(CreateBench(
            "group",
            "--consumers consumers in one new consumer group (one process) join one after another and read --records records from the "
            + "beginning (run 'bench produce' first); reports their total throughput from the first join, and the time until every member "
            + "had partitions (rebalance_s).",
            GroupBench.RunAsync));
        bench.Subcommands.Add(CreateBench(
            "e2e",
            "One consumer waits at the end of the topic while one producer sends --records records at --rate records/s, "
            + "each stamped with its send time; reports end-to-end latency and the achieved rate.",
            EndToEndBench.RunAsync));
        var queue = QueueBench.CreateCommand();
        queue.Options.Add(JsonOption);
        bench.Subcommands.Add(queue);
        bench.Subcommands.Add(CreateTransportBench());
        bench.Subcommands.Add(CreateScaleBench());
        bench.Subcommands.Add(CreateChart());
        return bench;
    }

    private static Command CreateProduceBench()
    {
        var withCeiling = new Option<bool>("--with-ceiling")
        {
            Description = "First measure the transport ceiling ('bench transport': 4 senders, 1000 records per call, same record size, "
                + "after --warmup records of its own) and report the produce rate as a percentage of it (ceiling_rec_per_s, pct_of_ceiling).",
        };
        var ceilingRecords = CliOptions.AtLeast(
            new Option<long>("--ceiling-records") { Description = "Records the ceiling run carries.", DefaultValueFactory = _ => 5_000_000 }, 1L);
        return CreateBench(
            "produce",
            "Producers send --records records of --record-size bytes as fast as back-pressure allows; reports throughput, acknowledgement "
            + "latency and the CPU used per record by obroker and by a one-silo broker (client_cpu_us, silo_cpu_us).",
            [withCeiling, ceilingRecords],
            async (connection, result, settings, cancellationToken) =>
            {
                if (result.GetValue(withCeiling))
                {
                    var transport = settings with { Topic = "", Partitions = 0, Records = result.GetValue(ceilingRecords) };
                    var (exitCode, ceiling) = await TransportBench.RunAsync(connection.GrainFactory, transport, TransportShape.Default, cancellationToken);
                    if (exitCode != ExitCodes.Success)
                    {
                        return exitCode;
                    }

                    settings = settings with { CeilingRecordsPerSecond = ceiling };
                }

                return await ProduceBench.RunAsync(connection, settings, cancellationToken);
            });
    }

    private static Command CreateBench(string name, string description, Func<BrokerClient, BenchSettings, CancellationToken, Task<int>> run) =>
        CreateBench(name, description, [], (connection, _, settings, cancellationToken) => run(connection.Client, settings, cancellationToken));

    /// <summary>A bench on one topic, with the options every such bench shares; <paramref name="run"/> gets the topic's real partition count.</summary>
    private static Command CreateBench(
        string name, string description, Option[] extraOptions, Func<BrokerConnection, ParseResult, BenchSettings, CancellationToken, Task<int>> run)
    {
        var topic = CliOptions.TopicArgument("The topic to use.");
        var records = RecordsOption("How many records.", 1_000_000);
        var recordSize = RecordSizeOption(name == "e2e" ? EndToEndBench.StampSize : 0);
        var producers = CliOptions.AtLeast(
            new Option<int>("--producers") { Description = "How many producers share the records (produce).", DefaultValueFactory = _ => 1 }, 1);
        var rate = CliOptions.AtLeast(
            new Option<int>("--rate") { Description = "Records per second the producer sends (e2e).", DefaultValueFactory = _ => 10_000 }, 1);
        var partitions = CliOptions.AtLeast(
            new Option<int>("--partitions", "-p") { Description = "Partitions of the topic when the bench creates it.", DefaultValueFactory = _ => 4 }, 1);
        var consumers = CliOptions.AtLeast(
            new Option<int>("--consumers") { Description = "How many consumers share the group (group).", DefaultValueFactory = _ => 4 }, 1);
        var linger = CliOptions.AtLeast(
            new Option<double>("--linger") { Description = "The producers' linger in milliseconds (Kafka's linger.ms; produce, e2e).", DefaultValueFactory = _ => ProducerOptions.Default.Linger.TotalMilliseconds }, 0.0);
        var warmup = CliOptions.AtLeast(
            new Option<long>("--warmup")
            {
                Description = "Records produced (produce; e2e, at --rate, by default one second's worth) or read (consume, group, at most "
                    + "--records) untimed first, so the code is compiled and the partitions are open when the clock starts.",
            },
            0L);
        var command = new Command(name, description) { topic, records, recordSize, producers, rate, partitions, consumers, linger, warmup, JsonOption };
        foreach (var option in extraOptions)
        {
            command.Options.Add(option);
        }

        command.SetConnectionAction(async (connection, result, cancellationToken) =>
        {
            var settings = new BenchSettings(
                result.GetRequiredValue(topic),
                result.GetValue(records),
                result.GetValue(recordSize),
                result.GetValue(producers),
                result.GetValue(rate),
                result.GetValue(partitions),
                result.GetValue(consumers))
            {
                JsonPath = result.GetValue(JsonOption),
                Producer = new ProducerOptions { Linger = TimeSpan.FromMilliseconds(result.GetValue(linger)) },
                Warmup = result.GetResult(warmup) is { Implicit: false } ? result.GetValue(warmup) : name == "e2e" ? result.GetValue(rate) : 0,
            };
            return await run(connection, result, await settings.WithTopicPartitionsAsync(connection.Client), cancellationToken);
        });
        return command;
    }

    private static Command CreateTransportBench()
    {
        var records = RecordsOption("How many records the calls carry in all.", 10_000_000);
        var recordSize = RecordSizeOption(0);
        var senders = CliOptions.AtLeast(
            new Option<int>("--senders") { Description = "Concurrent senders, each calling its own sink grain.", DefaultValueFactory = _ => TransportShape.Default.Senders }, 1);
        var recordsPerCall = CliOptions.AtLeast(
            new Option<int>("--records-per-call") { Description = "Records packed into one call's buffer.", DefaultValueFactory = _ => TransportShape.Default.RecordsPerCall }, 1);
        var depth = CliOptions.AtLeast(
            new Option<int>("--depth") { Description = "Calls each sender keeps in flight.", DefaultValueFactory = _ => TransportShape.Default.Depth }, 1);
        var command = new Command(
            "transport",
            "The raw Orleans ceiling for the produce path's call shape: senders call a diagnostics grain (IBenchSinkGrain) with one packed "
            + "buffer of --records-per-call records of --record-size bytes, which it only measures; reports records/s and call latency. "
            + "No topic is used.")
        {
            records, recordSize, senders, recordsPerCall, depth, JsonOption,
        };
        command.Validators.Add(result =>
        {
            if ((long)result.GetValue(recordsPerCall) * result.GetValue(recordSize) > MaxTransportCallBytes)
            {
                result.AddError($"--records-per-call x --record-size must be at most {MaxTransportCallBytes} bytes.");
            }
        });
        command.SetConnectionAction(async (connection, result, cancellationToken) =>
        {
            var settings = new BenchSettings("", result.GetValue(records), result.GetValue(recordSize), Producers: 0, Rate: 0, Partitions: 0, Consumers: 0)
            {
                JsonPath = result.GetValue(JsonOption),
            };
            var shape = new TransportShape(result.GetValue(senders), result.GetValue(recordsPerCall), result.GetValue(depth));
            return (await TransportBench.RunAsync(connection.GrainFactory, settings, shape, cancellationToken)).ExitCode;
        });
        return command;
    }

    private static Command CreateScaleBench()
    {
        var partitions = new Option<int[]>("--partitions", "-p")
        {
            Description = "The partition counts to measure, separated by commas.",
            DefaultValueFactory = _ => [1, 2, 4, 8, 16, 32, 64],
            CustomParser = ParsePartitionCounts,
        };
        var records = RecordsOption("How many records to produce and consume for each partition count.", 1_000_000);
        var recordSize = RecordSizeOption(0);
        var producers = CliOptions.AtLeast(
            new Option<int>("--producers") { Description = "How many producers share the records.", DefaultValueFactory = _ => 4 }, 1);
        var prefix = new Option<string>("--topic-prefix") { Description = "The new topics are named <prefix>-<run>-p<partitions>.", DefaultValueFactory = _ => "scale" };
        var keepTopics = new Option<bool>("--keep-topics") { Description = "Keep the topics (by default each is deleted after its runs)." };
        var command = new Command(
            "scale",
            "For each of --partitions, a new topic with that many partitions, 'bench produce' then 'bench consume' on it; "
            + "ends with a table of throughput by partition count. With --json, 'bench chart' draws the curve.")
        {
            partitions, records, recordSize, producers, prefix, keepTopics, JsonOption,
        };
        command.SetConnectionAction((connection, result, cancellationToken) =>
        {
            var template = new BenchSettings(
                result.GetRequiredValue(prefix), result.GetValue(records), result.GetValue(recordSize), result.GetValue(producers), Rate: 0, Partitions: 0, Consumers: 1)
            {
                JsonPath = result.GetValue(JsonOption),
            };
            return ScaleBench.RunAsync(connection, template, result.GetRequiredValue(partitions), result.GetValue(keepTopics), cancellationToken);
        });
        return command;
    }

    private static Command CreateChart()
    {
        var input = new Option<string>("--input", "-i") { Description = "A file written by --json.", HelpName = "FILE", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The SVG file to write.", HelpName = "FILE", Required = true };
        var title = new Option<string>("--title") { Description = "The chart's title.", DefaultValueFactory = _ => "OrleansBroker bench" };
        var command = new Command(
            "chart",
            "Draw the runs of a --json file as an SVG image: throughput over the partition count when the runs differ in partitions "
            + "(else a bar per run), and p50/p99/p99.9 bars for e2e runs. Needs no broker.")
        {
            input, output, title,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var inputPath = result.GetRequiredValue(input);
            List<BenchRun> runs;
            try
            {
                runs = await BenchRun.ReadAllAsync(inputPath, cancellationToken);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
            {
                await Console.Error.WriteLineAsync($"obroker: cannot read {inputPath}: {exception.Message}");
                return ExitCodes.Failure;
            }

            if (BenchChart.Render(runs, result.GetRequiredValue(title)) is not { } chart)
            {
                await Console.Error.WriteLineAsync($"obroker: {inputPath} has no runs with throughput or latency to draw.");
                return ExitCodes.Failure;
            }

            var outputPath = result.GetRequiredValue(output);
            await File.WriteAllTextAsync(outputPath, chart.ToString(), cancellationToken);
            await Console.Out.WriteLineAsync($"chart: {runs.Count} runs drawn to {outputPath}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Option<long> RecordsOption(string description, long defaultRecords) =>
        CliOptions.AtLeast(new Option<long>("--records", "-n") { Description = description, DefaultValueFactory = _ => defaultRecords }, 1L);

    private static Option<int> RecordSizeOption(int minimum) =>
        CliOptions.AtLeast(new Option<int>("--record-size", "-s") { Description = "The size of each value in bytes.", DefaultValueFactory = _ => 100 }, minimum);

    private static int[] ParsePartitionCounts(ArgumentResult result)
    {
        var counts = new List<int>();
        foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
            {
                result.AddError($"--partitions takes partition counts of at least 1 separated by commas, not '{text}'.");
                return [];
            }

            counts.Add(count);
        }

        if (counts.Count == 0)
        {
            result.AddError("--partitions needs at least one partition count.");
        }

        return [.. counts];
    }
}
