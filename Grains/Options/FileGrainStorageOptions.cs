using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace OrleansBroker.Grains.Options;

/// <summary>Options of <see cref="Storage.FileGrainStorage"/>, one instance per named provider.</summary>
public sealed class FileGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The default of <see cref="LockTimeout"/>.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the directory that holds one file per grain state. It is created at silo start when missing.
    /// Silos (and processes) that share it share the state; it must be on a local file system, where locks and
    /// renames are reliable. Default: none, the setting is required.
    /// </summary>
    public string? RootDirectory { get; set; }

    /// <summary>
    /// Gets or sets how long a write or clear waits for another writer of the same grain state before it fails.
    /// Default: 10 seconds.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;

    /// <summary>
    /// Gets or sets the serializer of the state payload. Default: the <see cref="IGrainStorageSerializer"/> keyed by
    /// the provider name, else the silo's default <see cref="IGrainStorageSerializer"/>.
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}

/// <summary>Rejects <see cref="FileGrainStorageOptions"/> that cannot work, so the silo fails at startup.</summary>
internal sealed class FileGrainStorageOptionsValidator : IValidateOptions<FileGrainStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, FileGrainStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.RootDirectory))
        {
            failures.Add($"File grain storage '{name}': {nameof(FileGrainStorageOptions.RootDirectory)} is required.");
        }

        if (options.LockTimeout <= TimeSpan.Zero)
        {
            failures.Add($"File grain storage '{name}': {nameof(FileGrainStorageOptions.LockTimeout)} must be positive, not {options.LockTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
