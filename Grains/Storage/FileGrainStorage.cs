using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using OrleansBroker.Grains.Options;
using OrleansBroker.Storage.Files;

namespace OrleansBroker.Grains.Storage;

/// <summary>
/// Durable grain storage on a local directory: one file per grain state, replaced atomically on every write.
/// </summary>
/// <remarks>
/// <para>A write builds the new file as "&lt;name&gt;.state.tmp" next to the target, fsyncs it, renames it over
/// "&lt;name&gt;.state" and fsyncs the directory, so after a crash the state is either the old or the new one. A temp
/// file torn by a crash is never read, and the next write of that state overwrites it.</para>
/// <para>Writes and clears compare the caller's ETag with the stored one while holding an exclusive lock on
/// "&lt;name&gt;.lock" (a FileStream opened with <see cref="FileShare.None"/>: flock on Unix, which excludes other
/// processes and other opens in this process alike). So silos in one process or in several processes can share
/// the directory. Lock files stay after a clear: deleting a lock file that another writer is waiting on would let
/// two writers in. Reads take no lock: a file is only ever replaced whole, never changed in place.</para>
/// <para>A clear deletes the file; the next write starts a new incarnation, so ETags from before the clear never
/// match again.</para>
/// <para>File names are "&lt;readable prefix&gt;-&lt;hash&gt;": the prefix helps people, the SHA-256 of the identity
/// (state name, grain type, grain key) makes names unique for any key, and the identity is stored in the file and
/// checked on every read.</para>
/// </remarks>
public sealed partial class FileGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private const int MaxReadablePrefixLength = 64;
    private const int HashBytesInName = 16;
    private static readonly TimeSpan FirstLockRetryDelay = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxLockRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly string _name;
    private readonly string _rootDirectory;
    private readonly TimeSpan _lockTimeout;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activatorProvider;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FileGrainStorage> _logger;

    public FileGrainStorage(
        string name,
        FileGrainStorageOptions options,
        IActivatorProvider activatorProvider,
        TimeProvider timeProvider,
        ILogger<FileGrainStorage> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.RootDirectory);
        ArgumentNullException.ThrowIfNull(options.GrainStorageSerializer);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LockTimeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(activatorProvider);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _name = name;
        _rootDirectory = Path.GetFullPath(options.RootDirectory);
        _lockTimeout = options.LockTimeout;
        _serializer = options.GrainStorageSerializer;
        _activatorProvider = activatorProvider;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    // Every file operation below runs through Task.Run. Grains await these calls on the Orleans scheduler, which has
    // few threads, and fsync/rename/open block: .NET has no asynchronous fsync or rename, so async file APIs would
    // still block here. Task.Run is fine in a storage provider (it is not grain code): the awaits below resume on the
    // caller's scheduler, so grainState is only ever touched on the grain's own turn.

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var location = Locate(stateName, grainId);
        StoredGrainState? stored;
        try
        {
            stored = await Task.Run(() => TryReadFile(location), cancellationToken);
        }
        catch (InvalidDataException exception)
        {
            LogUnreadableFile(exception, _name, location.StatePath);
            throw;
        }

        if (stored is not { } record)
        {
            ResetState(grainState);
            return;
        }

        var state = _serializer.Deserialize<T>(record.Payload);
        grainState.State = state ?? CreateInstance<T>();
        grainState.ETag = record.ETag;
        grainState.RecordExists = state is not null;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var location = Locate(stateName, grainId);
        var expectedETag = NormalizeETag(grainState.ETag);

        // Serialize on the grain's turn: the grain may change its state object as soon as it runs again.
        var payload = _serializer.Serialize(grainState.State).ToMemory();
        grainState.ETag = await Task.Run(() => WriteLockedAsync(location, expectedETag, payload, cancellationToken), cancellationToken);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var location = Locate(stateName, grainId);
        var expectedETag = NormalizeETag(grainState.ETag);
        await Task.Run(() => ClearLockedAsync(location, expectedETag, cancellationToken), cancellationToken);
        ResetState(grainState);
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(OptionFormattingUtilities.Name<FileGrainStorage>(_name), ServiceLifecycleStage.ApplicationServices, InitializeAsync);
    }

    /// <summary>Creates the root directory at silo start, so a path the silo cannot use fails the start.</summary>
    private Task InitializeAsync(CancellationToken cancellationToken) =>
        Task.Run(
            () =>
            {
                Directory.CreateDirectory(_rootDirectory);
                if (Path.GetDirectoryName(_rootDirectory) is { } parent)
                {
                    FileSync.FlushDirectory(parent);
                }

                LogInitialized(_name, _rootDirectory);
            },
            cancellationToken);

    private async Task<string> WriteLockedAsync(StateLocation location, string? expectedETag, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using var fileLock = await AcquireLockAsync(location, cancellationToken);
        return WriteUnderLock(location, expectedETag, payload.Span, cancellationToken);
    }

    private string WriteUnderLock(StateLocation location, string? expectedETag, ReadOnlySpan<byte> payload, CancellationToken cancellationToken)
    {
        var current = TryReadFile(location);
        ThrowIfETagMismatch(location, "write", current?.ETag, expectedETag);
        var sequence = current is { } record ? record.Sequence + 1 : 1;
        var incarnation = current?.Incarnation ?? NewIncarnation();

        var length = GrainStateFile.GetLength(location.Identity.Length, payload.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            GrainStateFile.Write(buffer.AsSpan(0, length), sequence, incarnation, location.Identity, payload);

            // FileMode.Create truncates a temp file torn by an earlier crash; the lock keeps other writers out of it.
            using var temp = new FileStream(location.TempPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            temp.Write(buffer, 0, length);
            temp.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // The rename is the commit point: cancelling before it leaves the old state untouched.
        cancellationToken.ThrowIfCancellationRequested();
        File.Move(location.TempPath, location.StatePath, overwrite: true);
        FileSync.FlushDirectory(_rootDirectory);
        return GrainStateFile.FormatETag(sequence, incarnation);
    }

    private async Task ClearLockedAsync(StateLocation location, string? expectedETag, CancellationToken cancellationToken)
    {
        using var fileLock = await AcquireLockAsync(location, cancellationToken);
        ClearUnderLock(location, expectedETag, cancellationToken);
    }

    private void ClearUnderLock(StateLocation location, string? expectedETag, CancellationToken cancellationToken)
    {
        var current = TryReadFile(location);
        ThrowIfETagMismatch(location, "clear", current?.ETag, expectedETag);
        if (current is null)
        {
            return;
        }

        cancellationToken.ThrowIfCancellationRequested();
        File.Delete(location.StatePath);
        File.Delete(location.TempPath);
        FileSync.FlushDirectory(_rootDirectory);
    }

    private async Task<FileStream> AcquireLockAsync(StateLocation location, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        var delay = FirstLockRetryDelay;
        while (true)
        {
            try
            {
                return new FileStream(location.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            }
            catch (IOException exception) when (exception.GetType() == typeof(IOException))
            {
                // A plain IOException here is the sharing violation of a held lock (not found, path too long and
                // the like have their own types). Writes hold it for about one fsync, so retry soon, then back off.
                if (_timeProvider.GetElapsedTime(started) >= _lockTimeout)
                {
                    throw new TimeoutException($"File grain storage '{_name}': the lock '{location.LockPath}' stayed held for {_lockTimeout}.", exception);
                }

                await Task.Delay(delay, _timeProvider, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxLockRetryDelay.Ticks));
            }
        }
    }

    private static StoredGrainState? TryReadFile(StateLocation location)
    {
        byte[] file;
        try
        {
            // FileShare.Delete lets a writer on Windows rename over a file that is being read, as Unix always does.
            using var stream = new FileStream(location.StatePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            file = new byte[stream.Length];
            stream.ReadExactly(file);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        return GrainStateFile.Parse(file, location.Identity, location.StatePath);
    }

    private void ThrowIfETagMismatch(StateLocation location, string operation, string? storedETag, string? expectedETag)
    {
        if (string.Equals(storedETag, expectedETag, StringComparison.Ordinal))
        {
            return;
        }

        LogETagMismatch(_name, operation, location.StatePath, storedETag, expectedETag);
        throw new InconsistentStateException(
            $"File grain storage '{_name}' refused to {operation} '{location.StatePath}': the stored ETag is '{storedETag ?? "(none)"}' but the caller's is '{expectedETag ?? "(none)"}'.",
            storedETag,
            expectedETag);
    }

    private StateLocation Locate(string stateName, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        var identity = GrainStateFile.EncodeIdentity(stateName, grainId);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(identity, hash);
        var stem = Path.Combine(_rootDirectory, $"{ReadablePrefix(stateName, grainId)}-{Convert.ToHexStringLower(hash[..HashBytesInName])}");
        return new StateLocation(identity, stem + ".state", stem + ".state.tmp", stem + ".lock");
    }

    /// <summary>"type.key.state" with everything but ASCII letters, digits, '.', '-' and '_' turned into '_', cut short.</summary>
    private static string ReadablePrefix(string stateName, GrainId grainId)
    {
        var text = $"{grainId.Type}.{grainId.Key}.{stateName}";
        return string.Create(Math.Min(text.Length, MaxReadablePrefixLength), text, static (destination, source) =>
        {
            for (var i = 0; i < destination.Length; i++)
            {
                var c = source[i];
                destination[i] = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_';
            }
        });
    }

    // An empty ETag means "no record" to Orleans' own providers too.
    private static string? NormalizeETag(string? eTag) => string.IsNullOrEmpty(eTag) ? null : eTag;

    private static ulong NewIncarnation()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private void ResetState<T>(IGrainState<T> grainState)
    {
        grainState.State = CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private T CreateInstance<T>() => _activatorProvider.GetActivator<T>().Create();

    private sealed record StateLocation(byte[] Identity, string StatePath, string TempPath, string LockPath);
}
