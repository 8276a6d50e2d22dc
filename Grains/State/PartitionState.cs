namespace OrleansBroker.Grains.State;

/// <summary>A partition's metadata: the topic settings it was created with and the epoch of its latest activation.</summary>
[GenerateSerializer]
[Alias("broker.PartitionState")]
public sealed class PartitionState
{
    /// <summary>Null when the partition does not exist (never created, or deleted).</summary>
    [Id(0)]
    public TopicConfig? Config { get; set; }

    /// <summary>Bumped by every activation that opens the log; survives deletion so a recreated log still fences old writers.</summary>
    [Id(1)]
    public int Epoch { get; set; }

    /// <summary>
    /// True from the start of a delete until it finished: a delete that failed part-way may have left a log that starts
    /// anywhere, so no activation serves it, and a retried delete opens it only to delete the rest.
    /// </summary>
    [Id(2)]
    public bool Deleting { get; set; }
}
