namespace OrleansBroker;

/// <summary>Kafka's rule for topic names: 1 to 249 characters of [a-zA-Z0-9._-], and neither "." nor "..".</summary>
public static class TopicName
{
    /// <summary>The longest topic name.</summary>
    public const int MaxLength = 249;

    /// <summary>Throws <see cref="InvalidTopicNameException"/> when <paramref name="name"/> breaks the rule.</summary>
    public static void Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw new InvalidTopicNameException(
                $"Invalid topic name '{name}': use 1 to {MaxLength} characters of [a-zA-Z0-9._-], other than '.' and '..'.");
        }
    }

    /// <summary>Whether <paramref name="name"/> is a valid topic name.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name)
        && name.Length <= MaxLength
        && name is not "." and not ".."
        && !name.AsSpan().ContainsAnyExcept(AllowedCharacters);

    private static readonly System.Buffers.SearchValues<char> AllowedCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
}
