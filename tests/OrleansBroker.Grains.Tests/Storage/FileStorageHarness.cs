using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using OrleansBroker.Grains.Options;
using OrleansBroker.Grains.Storage;

namespace OrleansBroker.Grains.Tests.Storage;

/// <summary>A temp directory plus a real Orleans serializer, to build file storage providers on.</summary>
internal sealed class FileStorageHarness : IDisposable
{
    public const string StateName = "s";

    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().BuildServiceProvider();

    public string Root { get; } = Directory.CreateTempSubdirectory("filestore-").FullName;

    public FileGrainStorage CreateStorage(TimeProvider? timeProvider = null, TimeSpan? lockTimeout = null) =>
        new(
            "files",
            new FileGrainStorageOptions
            {
                RootDirectory = Root,
                LockTimeout = lockTimeout ?? FileGrainStorageOptions.DefaultLockTimeout,
                GrainStorageSerializer = new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()),
            },
            _services.GetRequiredService<IActivatorProvider>(),
            timeProvider ?? TimeProvider.System,
            NullLogger<FileGrainStorage>.Instance);

    public static GrainId Partition(string key) => GrainId.Create("partition", key);

    public static GrainState<CounterState> State(string name, int count, string? eTag = null) =>
        new(new CounterState { Name = name, Count = count }, eTag);

    public string[] Files(string pattern) => Directory.GetFiles(Root, pattern);

    public string SingleStateFile() => Assert.Single(Files("*.state"));

    public void Dispose()
    {
        _services.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

internal static class CounterStateExtensions
{
    /// <summary>The state of a grain state the provider filled in (never null after a read or write).</summary>
    public static CounterState Value(this GrainState<CounterState> state) => Assert.IsType<CounterState>(state.State);
}

[GenerateSerializer, Alias("tests.file-storage.counter-state")]
public sealed class CounterState
{
    [Id(0)]
    public string Name { get; set; } = "";

    [Id(1)]
    public int Count { get; set; }
}
