using OrleansBroker.Storage.Files;

namespace OrleansBroker.Storage.Tests;

/// <summary>The durability calls the file log makes through the C library: they must reach it and report its errors.</summary>
public sealed class FileSyncTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("obroker-filesync-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Flushing_a_written_file_keeps_its_bytes_and_size()
    {
        var path = Path.Combine(_directory, "segment");
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.Write(handle, "appended"u8, 0);
            FileSync.FlushData(handle);
            Assert.Equal(8, RandomAccess.GetLength(handle));
        }

        Assert.Equal("appended"u8.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void Flushing_a_closed_file_fails_instead_of_pretending_it_is_durable()
    {
        var handle = File.OpenHandle(Path.Combine(_directory, "closed"), FileMode.Create, FileAccess.ReadWrite);
        handle.Dispose();

        Assert.ThrowsAny<Exception>(() => FileSync.FlushData(handle));
    }

    [Fact]
    public void Flushing_a_directory_works_and_a_missing_one_is_an_io_error()
    {
        File.WriteAllText(Path.Combine(_directory, "entry"), "x");

        FileSync.FlushDirectory(_directory);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Throws<IOException>(() => FileSync.FlushDirectory(Path.Combine(_directory, "missing")));
        }
    }
}
