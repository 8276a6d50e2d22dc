namespace OrleansBroker.Grains.Storage;

/// <summary>
/// A failed grain-state write as the broker's retriable <see cref="StorageErrorException"/>. The storage provider's own
/// exception (an Azure Table ETag conflict, an Azure SDK error) lives in assemblies clients do not load, so passed on
/// as it is, it reaches the client as an undecodable type instead of an error it can retry.
/// </summary>
internal static class StateWriteFailure
{
    public static StorageErrorException From(string what, Exception exception) =>
        new($"Storing {what} failed ({exception.GetType().Name}: {exception.Message}); retry.");
}
