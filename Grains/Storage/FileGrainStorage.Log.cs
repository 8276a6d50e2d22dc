using Microsoft.Extensions.Logging;

namespace OrleansBroker.Grains.Storage;

public sealed partial class FileGrainStorage
{
    [LoggerMessage(Level = LogLevel.Information, Message = "File grain storage {Name} keeps grain state in {RootDirectory}")]
    private partial void LogInitialized(string name, string rootDirectory);

    [LoggerMessage(Level = LogLevel.Debug, Message = "File grain storage {Name} refused to {Operation} {Path}: stored ETag {StoredETag}, caller's ETag {ExpectedETag}")]
    private partial void LogETagMismatch(string name, string operation, string path, string? storedETag, string? expectedETag);

    [LoggerMessage(Level = LogLevel.Error, Message = "File grain storage {Name} cannot read {Path}")]
    private partial void LogUnreadableFile(Exception exception, string name, string path);
}
