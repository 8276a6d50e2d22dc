using Microsoft.Extensions.Time.Testing;

namespace OrleansBroker.Storage.Tests;

/// <summary>The log stores of one test: a file store on a fresh temp directory and a memory store, one fake clock.</summary>
internal sealed class TestStores : IDisposable
{
    public const string File = nameof(File);
    public const string Memory = nameof(Memory);

    private readonly MemoryLogStore _memory;

    public TestStores()
    {
        DataDirectory = Directory.CreateTempSubdirectory("obroker-storage-").FullName;
        _memory = new MemoryLogStore(Time);
    }

    public static TheoryData<string> Backends => [File, Memory];

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public string DataDirectory { get; }

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A store of the backend; file stores made here all share the one data directory.</summary>
    public ILogStore Store(string backend) => backend switch
    {
        File => new FileLogStore(new FileLogStoreOptions { DataDirectory = DataDirectory }, Time),
        Memory => _memory,
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };

    public string LogDirectory(LogPartition partition) => Path.Combine(DataDirectory, partition.ToString());

    public void Dispose() => Directory.Delete(DataDirectory, recursive: true);
}
