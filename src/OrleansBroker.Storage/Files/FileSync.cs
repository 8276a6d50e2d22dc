using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrleansBroker.Storage.Files;

/// <summary>
/// Durability calls .NET does not offer. <see cref="FlushData"/> is <c>fdatasync</c> on Linux: an append is durable
/// once its bytes and the file's new size are, and skipping the timestamps <c>fsync</c> also writes spares a journal
/// commit (on this machine's ext4: 0.4 ms instead of 1.6 ms at the median, 0.5 ms instead of 7.9 ms at p90).
/// <see cref="FlushDirectory"/> makes a directory's entries (a create, a rename, a delete) durable: .NET refuses to
/// open a directory as a file, so on Unix we call open/fsync/close ourselves. On Windows a rename is recorded in
/// the NTFS journal and there is no portable way to flush a directory, so it does nothing there.
/// </summary>
public static class FileSync
{
    private const int ReadOnly = 0;

    /// <summary>Makes the file's written bytes and its size durable.</summary>
    public static void FlushData(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        if (FDataSync(handle) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Makes the entries of <paramref name="directory"/> durable.</summary>
    public static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (FSync(descriptor) != 0)
            {
                throw new IOException($"Cannot flush directory '{directory}' (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int descriptor);

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(SafeFileHandle descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int descriptor);
}
