using System.CommandLine;
using Orleans.Runtime.Messaging;
using OrleansBroker.Client;

namespace OrleansBroker.Cli.Connection;

/// <summary>Runs a command against a connected broker and turns failures into the documented exit codes.</summary>
internal static class BrokerAction
{
    public static void SetBrokerAction(this Command command, Func<BrokerClient, ParseResult, CancellationToken, Task<int>> action) =>
        command.SetConnectionAction((connection, result, cancellationToken) => action(connection.Client, result, cancellationToken));

    /// <summary>As <see cref="SetBrokerAction"/>, for a command that also needs the connection's grain factory.</summary>
    public static void SetConnectionAction(this Command command, Func<BrokerConnection, ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction((result, cancellationToken) => RunAsync(action, result, cancellationToken));

    private static async Task<int> RunAsync(
        Func<BrokerConnection, ParseResult, CancellationToken, Task<int>> action, ParseResult result, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await BrokerConnection.ConnectAsync(result.GetRequiredValue(BrokerConnection.BrokerOption), cancellationToken);
            return await action(connection, result, cancellationToken);
        }
        catch (BrokerUnreachableException exception)
        {
            await Console.Error.WriteLineAsync($"obroker: {exception.Message}");
            return ExitCodes.Unreachable;
        }
        catch (BrokerException exception)
        {
            await Console.Error.WriteLineAsync($"obroker: {exception.Message}");
            return ExitCodes.BrokerError;
        }
        catch (Exception exception) when (IsConnectionLoss(exception))
        {
            await Console.Error.WriteLineAsync($"obroker: lost the broker: {exception.Message}");
            return ExitCodes.Unreachable;
        }
    }

    /// <summary>Whether a failure means the broker stopped answering (not that it refused the request).</summary>
    public static bool IsConnectionLoss(Exception exception) =>
        exception is SiloUnavailableException or ConnectionFailedException or OrleansMessageRejectionException or TimeoutException;
}
