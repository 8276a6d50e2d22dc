namespace OrleansBroker.EndToEnd.Tests;

/// <summary>How one run of obroker ended.</summary>
public sealed record ObrokerResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Standard output split into lines, without line endings.</summary>
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
