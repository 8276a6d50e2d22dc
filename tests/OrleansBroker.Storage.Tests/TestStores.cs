using Microsoft.Extensions.Time.Testing;
using OrleansBroker.Storage.Engine;
using OrleansBroker.Storage.Files;
using OrleansBroker.Storage.Memory;

namespace OrleansBroker.Storage.Tests;

/// <summary>
/// The log stores of one test: file stores on a fresh temp directory (through the page cache, and with direct I/O) and a
/// memory store, one fake clock.
/// </summary>
internal sealed class TestStores : IDisposable
{
    public const string File = nameof(File);
    public const string FileDirect = nameof(FileDirect);
    public const string Memory = nameof(Memory);

    private readonly MemoryLogStore _memory;

    public TestStores()
    {
        DataDirectory = Directory.CreateTempSubdirectory("obroker-storage-").FullName;
        _memory = new MemoryLogStore(Time);
    }

    public static TheoryData<string> Backends => [File, FileDirect, Memory];

    public static TheoryData<string> FileBackends => [File, FileDirect];

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public string DataDirectory { get; }

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A store of the backend; file stores made here all share the one data directory.</summary>
    public ILogStore Store(string backend) => backend switch
    {
        File or FileDirect => new FileLogStore(new FileLogStoreOptions { DataDirectory = DataDirectory, DirectIO = backend == FileDirect }, Time),
        Memory => _memory,
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };

    /// <summary>The backend's directory of one partition log, for tests that open the engine on it themselves.</summary>
    public ILogDirectory OpenDirectory(string backend, LogPartition partition) =>
        backend == Memory ? new MemoryLogDirectory() : new FileLogDirectory(LogDirectory(partition), directIO: backend == FileDirect, pageCache: null);

    public static bool IsFile(string backend) => backend != Memory;

    public string LogDirectory(LogPartition partition) => Path.Combine(DataDirectory, partition.ToString());

    public void Dispose() => Directory.Delete(DataDirectory, recursive: true);
}
