using System.Globalization;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>Failures that need no running broker.</summary>
public sealed class UsageTests
{
    // Nothing listens here: bad usage must fail before connecting, and a connection must fail fast.
    private static readonly string NoBroker = string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{FreePorts.Take(1)[0]}");

    [Theory]
    [InlineData("")]
    [InlineData("topics create")]
    [InlineData("topics create t --partitions 0")]
    [InlineData("topics create t --partitions many")]
    [InlineData("consume t --bogus")]
    [InlineData("consume t --max-messages 0")]
    [InlineData("bench e2e t --record-size 4")]
    [InlineData("bench scale --partitions 1,0")]
    [InlineData("bench transport --records-per-call 1000000 --record-size 100")]
    [InlineData("bench chart --output chart.svg")]
    [InlineData("frobnicate")]
    public async Task Bad_usage_exits_with_2(string commandLine)
    {
        var result = await Obroker.RunAsync(NoBroker, commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.NotEmpty(result.Stderr);
    }

    [Fact]
    public async Task A_broker_address_that_is_not_host_and_port_exits_with_2()
    {
        var result = await Obroker.RunAsync("no-port-here", "topics", "list");

        Assert.True(result.ExitCode == 2, result.ToString());
    }

    [Fact]
    public async Task An_unreachable_broker_exits_with_4_and_one_line_on_stderr()
    {
        var result = await Obroker.RunAsync(NoBroker, "topics", "list");

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
