using System.Globalization;
using System.Text;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// A partition log on disk: <c>{baseOffset:D20}.log</c> segments, their <c>{baseOffset:D20}.index</c>
/// sparse indexes (written when a segment is sealed) and a <c>leader-epoch</c> file. Segments are read and written with
/// direct I/O when <paramref name="directIO"/> is set, else through the page cache, which <paramref name="pageCache"/>
/// (when set) keeps at its size; reads of what it does not keep then go past it (see <see cref="FileSegmentFile"/>).
/// </summary>
internal sealed class FileLogDirectory(string path, bool directIO, WrittenPageCache? pageCache) : ILogDirectory
{
    private const string SegmentExtension = ".log";
    private const string IndexExtension = ".index";
    private const string EpochFileName = "leader-epoch";
    private const int OffsetDigits = 20;

    public void EnsureCreated()
    {
        if (Directory.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(path);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent)
        {
            FileSync.FlushDirectory(parent);
        }
    }

    public int ReadEpoch()
    {
        var file = Path.Combine(path, EpochFileName);
        if (!File.Exists(file))
        {
            return 0;
        }

        var text = File.ReadAllText(file, Encoding.ASCII);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch)
            ? epoch
            : throw new InvalidDataException($"The epoch file {file} is corrupt.");
    }

    public void WriteEpoch(int epoch)
    {
        // Write-then-rename: a crash leaves either the old epoch or the new one, never a torn file.
        var file = Path.Combine(path, EpochFileName);
        var temporary = file + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, Encoding.ASCII.GetBytes(epoch.ToString(CultureInfo.InvariantCulture)), 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temporary, file, overwrite: true);
        FileSync.FlushDirectory(path);
    }

    public IReadOnlyList<long> ListSegments()
    {
        var offsets = new List<long>();
        foreach (var file in Directory.EnumerateFiles(path, "*" + SegmentExtension))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.Length == OffsetDigits && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                offsets.Add(offset);
            }
        }

        offsets.Sort();
        return offsets;
    }

    public ISegmentFile OpenSegment(long baseOffset)
    {
        var file = FilePath(baseOffset, SegmentExtension);
        var created = !File.Exists(file);
        var segment = directIO
            ? DirectSegmentFile.Open(file)
            : (ISegmentFile)new FileSegmentFile(File.OpenHandle(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete), pageCache);
        if (created)
        {
            // Appends to a new segment are acknowledged after flushing the file: its name must be as durable as its bytes.
            FileSync.FlushDirectory(path);
        }

        return segment;
    }

    public byte[]? ReadIndex(long baseOffset)
    {
        var file = FilePath(baseOffset, IndexExtension);
        return File.Exists(file) ? File.ReadAllBytes(file) : null;
    }

    public void WriteIndex(long baseOffset, ReadOnlySpan<byte> index)
    {
        using var handle = File.OpenHandle(FilePath(baseOffset, IndexExtension), FileMode.Create, FileAccess.Write);
        RandomAccess.Write(handle, index, 0);
        RandomAccess.FlushToDisk(handle);
    }

    public void DeleteSegment(long baseOffset)
    {
        File.Delete(FilePath(baseOffset, IndexExtension));
        File.Delete(FilePath(baseOffset, SegmentExtension));
    }

    public void Delete()
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    internal static string SegmentFileName(long baseOffset) => FileName(baseOffset, SegmentExtension);

    internal static string IndexFileName(long baseOffset) => FileName(baseOffset, IndexExtension);

    private static string FileName(long baseOffset, string extension) =>
        baseOffset.ToString("D20", CultureInfo.InvariantCulture) + extension;

    private string FilePath(long baseOffset, string extension) => Path.Combine(path, FileName(baseOffset, extension));
}
