using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>Sends POSIX signals: .NET can only kill a process outright, not ask it to stop.</summary>
internal static class Signals
{
    /// <summary>SIGINT, as Ctrl+C in a terminal sends.</summary>
    public const int Interrupt = 2;

    /// <summary>SIGTERM, as a service manager or Kubernetes sends to stop a process.</summary>
    public const int Terminate = 15;

    public static void Send(Process process, int signal)
    {
        if (NativeMethods.Kill(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
