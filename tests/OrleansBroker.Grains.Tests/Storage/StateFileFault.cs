namespace OrleansBroker.Grains.Tests.Storage;

/// <summary>
/// A real I/O fault in the file grain storage, for one stored grain state: a directory stands where the provider opens a
/// file of that state (see <see cref="Grains.Storage.FileGrainStorage"/>), so the operation fails as it would on a broken
/// disk. Disposing clears the fault.
/// </summary>
internal sealed class StateFileFault : IDisposable
{
    private readonly Action _clear;

    private StateFileFault(Action clear) => _clear = clear;

    /// <summary>
    /// Every write fails before its rename, where the provider builds the new file ("&lt;name&gt;.state.tmp"): the stored
    /// state stays as it was, and reads still work.
    /// </summary>
    public static StateFileFault FailWrites(string rootDirectory, GrainId grainId, string stateName)
    {
        var blocker = Directory.CreateDirectory(FindStateFile(rootDirectory, grainId, stateName) + ".tmp").FullName;
        return new StateFileFault(() => Directory.Delete(blocker));
    }

    /// <summary>Every read fails: the state file is moved aside, and a directory stands in its place.</summary>
    public static StateFileFault FailReads(string rootDirectory, GrainId grainId, string stateName)
    {
        var stateFile = FindStateFile(rootDirectory, grainId, stateName);
        var aside = stateFile + ".aside";
        File.Move(stateFile, aside);
        Directory.CreateDirectory(stateFile);
        return new StateFileFault(() =>
        {
            Directory.Delete(stateFile);
            File.Move(aside, stateFile);
        });
    }

    public void Dispose() => _clear();

    /// <summary>The file of a state the storage already holds, found by its readable name prefix.</summary>
    private static string FindStateFile(string rootDirectory, GrainId grainId, string stateName)
    {
        var prefix = $"{grainId.Type}.{grainId.Key}.{stateName}".Replace('/', '_');
        return Assert.Single(Directory.GetFiles(rootDirectory, $"{prefix}-*.state"));
    }
}
