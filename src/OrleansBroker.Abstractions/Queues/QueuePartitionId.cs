using System.Globalization;

namespace OrleansBroker;

/// <summary>
/// One partition of a topic as seen by one queue group; its text form <c>{group}/{topic}/{partition}</c> is the
/// queue grain's key. A group name follows the topic-name rule (it names the group's dead-letter topic).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("broker.QueuePartitionId")]
public readonly record struct QueuePartitionId
{
    /// <summary>Names the queue state of <paramref name="group"/> on one partition.</summary>
    /// <exception cref="InvalidRequestException">The group name breaks the topic-name rule.</exception>
    public QueuePartitionId(string group, TopicPartition topicPartition)
    {
        ValidateGroup(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(topicPartition.Topic, nameof(topicPartition));
        Group = group;
        TopicPartition = topicPartition;
    }

    /// <summary>The queue group.</summary>
    [Id(0)]
    public string Group { get; }

    /// <summary>The partition the group reads.</summary>
    [Id(1)]
    public TopicPartition TopicPartition { get; }

    /// <summary>Throws <see cref="InvalidRequestException"/> when <paramref name="group"/> is not 1 to 249 characters of [a-zA-Z0-9._-].</summary>
    public static void ValidateGroup(string? group)
    {
        if (!TopicName.IsValid(group))
        {
            throw new InvalidRequestException(
                $"Invalid queue group name '{group}': use 1 to {TopicName.MaxLength} characters of [a-zA-Z0-9._-], other than '.' and '..'.");
        }
    }

    /// <summary>Parses the <c>{group}/{topic}/{partition}</c> form.</summary>
    public static QueuePartitionId Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw new FormatException($"'{value}' is not of the form group/topic/partition.");
        }

        return new QueuePartitionId(value[..slash], TopicPartition.Parse(value[(slash + 1)..]));
    }

    /// <summary>The <c>{group}/{topic}/{partition}</c> form.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Group}/{TopicPartition.Topic}/{TopicPartition.Partition}");
}
