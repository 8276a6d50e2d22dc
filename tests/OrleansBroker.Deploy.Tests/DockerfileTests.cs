using OrleansBroker.Silo;

namespace OrleansBroker.Deploy.Tests;

/// <summary>The Dockerfile, read as text (no Docker here): what it copies, exposes, runs and as whom.</summary>
public sealed class DockerfileTests
{
    private static readonly string[] Instructions = Repository.Read("Dockerfile")
        .Split('\n')
        .Select(line => line.Trim())
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .ToArray();

    [Fact]
    public void It_exposes_the_shipped_silo_gateway_and_management_ports()
    {
        var exposed = Arguments("EXPOSE").SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse);

        Assert.Equal(
            new[] { Repository.ShippedHosting.SiloPort, Repository.ShippedHosting.GatewayPort, Repository.ShippedManagement.ManagementPort }.Order(),
            exposed.Order());
    }

    [Fact]
    public void Every_file_it_copies_from_the_repository_exists()
    {
        var sources = Arguments("COPY")
            .Where(a => !a.StartsWith("--from=", StringComparison.Ordinal))
            .SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipLast(1))
            .ToList();

        Assert.NotEmpty(sources);
        Assert.All(sources, source => Assert.True(
            File.Exists(Repository.PathOf(source)) || Directory.Exists(Repository.PathOf(source)), $"COPY {source}: no such file."));
    }

    [Fact]
    public void It_runs_the_published_silo_on_the_aspnet_runtime_as_an_unprivileged_user()
    {
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", Arguments("FROM").Last(), StringComparison.Ordinal);
        Assert.Equal("$APP_UID", Arguments("USER").Single());
        Assert.Equal($"""["dotnet", "{typeof(SiloHostingOptions).Assembly.GetName().Name}.dll"]""", Arguments("ENTRYPOINT").Single());
        Assert.Contains(Arguments("RUN"), run => run.Contains("dotnet publish Silo/OrleansBroker.Silo.csproj", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Arguments(string instruction) =>
        Instructions.Where(line => line.StartsWith(instruction + " ", StringComparison.Ordinal)).Select(line => line[(instruction.Length + 1)..].Trim());
}
