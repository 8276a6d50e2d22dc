namespace OrleansBroker.EndToEnd.Tests;

/// <summary>One silo on a temporary data directory, shared by the tests of <see cref="SharedSilo"/>; each test uses its own topics.</summary>
public sealed class SiloFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _dataDirectory = Directory.CreateTempSubdirectory("obroker-e2e-");

    public SiloFixture() => Silo = new SiloProcess(_dataDirectory.FullName);

    public SiloProcess Silo { get; }

    public async ValueTask InitializeAsync() => await Silo.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Silo.DisposeAsync();
        _dataDirectory.Delete(recursive: true);
    }
}

[CollectionDefinition(nameof(SharedSilo))]
public sealed class SharedSilo : ICollectionFixture<SiloFixture>;
