using System.Text.Json.Nodes;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>
/// The runtime settings the silo and obroker are built with (their runtimeconfig.json, which <c>dotnet publish</c> and the
/// container image carry too). Each was measured to matter; the project files say by how much.
/// </summary>
public sealed class RuntimeSettingsTests
{
    [Theory]
    [InlineData("System.GC.Server", "true")]
    [InlineData("System.GC.Concurrent", "false")]
    [InlineData("System.GC.LOHThreshold", "16777216")]
    [InlineData("System.Runtime.TieredCompilation.CallCountingDelayMs", "0")]
    [InlineData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", "0")]
    public void The_silo_runs_with(string name, string value) => Assert.Equal(value, Setting(BuildOutputs.SiloDll, name));

    [Theory]
    [InlineData("System.GC.Server", "false")]
    [InlineData("System.Runtime.TieredPGO", "false")]
    [InlineData("System.Runtime.TieredCompilation.CallCountingDelayMs", "0")]
    [InlineData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", "0")]
    public void Obroker_runs_with(string name, string value) => Assert.Equal(value, Setting(BuildOutputs.CliDll, name));

    private static string? Setting(string dll, string name)
    {
        var path = Path.ChangeExtension(dll, ".runtimeconfig.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        return config["runtimeOptions"]?["configProperties"]?[name]?.ToJsonString();
    }
}
