namespace OrleansBroker.Records;

/// <summary>
/// A record header to write: a UTF-8 key and an optional value (<see langword="null"/> is a null value,
/// distinct from an empty one).
/// </summary>
public readonly record struct RecordHeader(string Key, ReadOnlyMemory<byte>? Value);
