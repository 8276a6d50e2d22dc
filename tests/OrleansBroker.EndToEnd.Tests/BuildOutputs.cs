using System.Reflection;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>Where the silo and obroker were built, for the Configuration this test assembly was built in.</summary>
internal static class BuildOutputs
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string SiloDll { get; } = Output(Path.Combine(RepositoryRoot, "Silo"), "OrleansBroker.Silo.dll");

    public static string CliDll { get; } = Output(Path.Combine(RepositoryRoot, "src", "OrleansBroker.Cli"), "obroker.dll");

    /// <summary>The dotnet host that runs the tests (set by the SDK), so the processes use the same runtime.</summary>
    public static string DotnetHost { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static string Output(string projectDirectory, string fileName)
    {
        var path = Path.Combine(projectDirectory, "bin", Metadata("Configuration"), Metadata("TargetFramework"), fileName);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{fileName} is not built; the test project's build builds it.", path);
    }

    private static string Metadata(string key) =>
        typeof(BuildOutputs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"The assembly metadata '{key}' is empty.");

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrleansBroker.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No directory above {AppContext.BaseDirectory} holds OrleansBroker.sln.");
    }
}
