using System.CommandLine;
using OrleansBroker.Cli.Commands;
using OrleansBroker.Cli.Connection;

namespace OrleansBroker.Cli;

/// <summary>The <c>obroker</c> command tree and how a parse or a run maps to an exit code.</summary>
internal static class CliApplication
{
    // How long a command may take to finish after Ctrl+C: a commit plus closing the connection.
    private static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var parseResult = CreateRootCommand().Parse(args);

        // System.CommandLine reports parse errors with exit code 1; our contract says 2, as Unix tools do for bad usage.
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await Console.Error.WriteLineAsync($"obroker: {error.Message}");
            }

            await Console.Error.WriteLineAsync("Run 'obroker --help' for usage.");
            return ExitCodes.Usage;
        }

        // Without an explicit configuration, Ctrl+C and SIGTERM kill the process at once; with one, they cancel the
        // command's token, so a consumer flushes and commits what it printed and a producer flushes what it read.
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TerminationGrace });
    }

    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand(
            "obroker: administer topics, produce and consume records, and benchmark an OrleansBroker cluster.\n"
            + "Exit codes: 0 success, 1 failure, 2 bad usage, 3 broker error, 4 broker unreachable.");
        root.Options.Add(BrokerConnection.BrokerOption);
        root.Subcommands.Add(TopicsCommand.Create());
        root.Subcommands.Add(ProduceCommand.Create());
        root.Subcommands.Add(ConsumeCommand.Create());
        root.Subcommands.Add(GroupsCommand.Create());
        root.Subcommands.Add(QueueCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }
}
