using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// A partition log on disk: <c>{baseOffset:D20}.log</c> segments, their <c>{baseOffset:D20}.index</c>
/// sparse indexes (written when a segment is sealed) and a <c>leader-epoch</c> file. Segments are read and written with
/// direct I/O when <paramref name="directIO"/> is set, else through the page cache, which <paramref name="pageCache"/>
/// (when set) keeps at its size.
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

    /// <summary>
    /// One segment file, read and written through the page cache at explicit positions. It hands what it has made durable
    /// to the store's <see cref="WrittenPageCache"/>, if any: at a flush in ranges of at least
    /// <see cref="WrittenPageCache.ReportBytes"/>, and the rest when its writes end. Closing drops the whole file from the cache.
    /// </summary>
    private sealed class FileSegmentFile : ISegmentFile
    {
        private readonly SafeFileHandle _handle;
        private readonly WrittenPageCache? _pageCache;
        private long _written;
        private long _reported;

        public FileSegmentFile(SafeFileHandle handle, WrittenPageCache? pageCache)
        {
            _handle = handle;
            _pageCache = pageCache;
            _written = _reported = RandomAccess.GetLength(handle);
        }

        public long Length => RandomAccess.GetLength(_handle);

        public bool IsFull => false;

        public bool LengthIsDurable => false;

        public int Read(Span<byte> buffer, long position) => RandomAccess.Read(_handle, buffer, position);

        public ValueTask<int> ReadAsync(Memory<byte> buffer, long position, CancellationToken cancellationToken) =>
            RandomAccess.ReadAsync(_handle, buffer, position, cancellationToken);

        public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position)
        {
            RandomAccess.Write(_handle, buffers, position);
            var end = position;
            for (var i = 0; i < buffers.Count; i++)
            {
                end += buffers[i].Length;
            }

            _written = end;
        }

        public void Flush()
        {
            FileSync.FlushData(_handle);
            if (_written - _reported >= WrittenPageCache.ReportBytes)
            {
                ReportDurable();
            }
        }

        public void Truncate(long length)
        {
            RandomAccess.SetLength(_handle, length);
            RandomAccess.FlushToDisk(_handle);
            _written = length;
            _reported = Math.Min(_reported, length);
        }

        public void EndWrites()
        {
            if (_written > _reported)
            {
                ReportDurable();
            }
        }

        public void Dispose()
        {
            if (_pageCache is not null)
            {
                WrittenPageCache.DropAll(_handle);
            }

            _handle.Dispose();
        }

        private void ReportDurable()
        {
            _pageCache?.Add(_handle, _reported, _written);
            _reported = _written;
        }
    }
}
