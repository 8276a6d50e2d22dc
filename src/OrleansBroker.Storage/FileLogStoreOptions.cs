namespace OrleansBroker.Storage;

/// <summary>Settings of the <see cref="FileLogStore"/>.</summary>
public sealed class FileLogStoreOptions
{
    /// <summary>The directory that holds one <c>{topic}-{partition}</c> directory per partition log. Default: data.</summary>
    public string DataDirectory { get; set; } = "data";
}
