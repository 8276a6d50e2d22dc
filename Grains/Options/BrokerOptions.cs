using Microsoft.Extensions.Options;
using OrleansBroker.Storage;

namespace OrleansBroker.Grains.Options;

/// <summary>Settings of the broker's grains on a silo, bound from the <c>Broker</c> configuration section.</summary>
public sealed class BrokerOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Broker";

    /// <summary>Where the File backend keeps partition logs (<c>logs/</c>) and metadata (<c>metadata/</c>). Default: ./data.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Acknowledge appends only after fsync of their group commit. Default: true.</summary>
    public bool FlushOnCommit { get; set; } = true;

    /// <summary>
    /// The File backend reads and writes segments with direct I/O (<c>O_DIRECT</c>, Linux on x64 or Arm64), past the page
    /// cache (see <see cref="OrleansBroker.Storage.FileLogStoreOptions.DirectIO"/>). Default: false.
    /// </summary>
    public bool DirectIO { get; set; }

    /// <summary>
    /// How many bytes of written segments the File backend leaves in the OS page cache; older durable bytes are dropped
    /// from it (see <see cref="OrleansBroker.Storage.FileLogStoreOptions.PageCacheBytes"/>). 0 leaves the page cache to the
    /// kernel. Null: 256 MiB, or an eighth of the memory .NET may use where that is less. Default: null.
    /// </summary>
    public long? PageCacheBytes { get; set; }

    /// <summary>Where the File backend keeps partition logs.</summary>
    internal string LogDirectory => Path.Combine(DataDirectory, "logs");

    /// <summary>The longest a fetch waits for new records; kept well under the client's response timeout. Default: 00:00:10.</summary>
    public TimeSpan MaxFetchWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most bytes one fetch returns (at least one whole batch is always returned). Default: 8388608 (8 MiB).</summary>
    public int MaxFetchBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How often an active partition deletes segments past its retention. Default: 00:05:00.</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A partition's active segment rolls once its first batch is this old. Default: 7.00:00:00.</summary>
    public TimeSpan SegmentAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Settings of queue groups. Default: see <see cref="QueueOptions"/>.</summary>
    public QueueOptions Queues { get; set; } = new();

    /// <summary>
    /// How often consumer group members heartbeat (at most a third of a member's session timeout; a tenth of that while
    /// partitions move). The group tells members to heartbeat at once when a rebalance needs them, but that notice is
    /// best effort: a member that misses it learns of the rebalance at its next heartbeat, so this bounds how long a lost
    /// notice delays a rebalance. A heartbeat is one small grain call. Default: 00:00:01.
    /// </summary>
    public TimeSpan GroupHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a consumer group without members waits after its first member joined before it assigns partitions
    /// (Kafka's <c>group.initial.rebalance.delay.ms</c>): members that join meanwhile share the first assignment, instead
    /// of each taking partitions from the members before it (which costs the owner a commit, and the partition a pause
    /// and a refetch). A group's first member, alone, starts this much later. 0 assigns at once. Default: 00:00:00.050.
    /// </summary>
    public TimeSpan GroupInitialRebalanceDelay { get; set; } = TimeSpan.FromMilliseconds(50);
}

/// <summary>Fails the silo's start when <see cref="BrokerOptions"/> are out of range.</summary>
public sealed class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Broker:DataDirectory must name a directory.");
        }
        else if (options.DirectIO && FileLogStore.DirectIOProblem(options.LogDirectory) is { } problem)
        {
            failures.Add($"Broker:DirectIO cannot be used: {problem}");
        }

        if (options.PageCacheBytes < 0)
        {
            failures.Add("Broker:PageCacheBytes cannot be negative.");
        }

        if (options.MaxFetchWait <= TimeSpan.Zero || options.MaxFetchWait > TimeSpan.FromSeconds(25))
        {
            failures.Add("Broker:MaxFetchWait must be above 0 and at most 25 s (the client's response timeout is 30 s).");
        }

        if (options.MaxFetchBytes < 1024)
        {
            failures.Add("Broker:MaxFetchBytes must be at least 1024.");
        }

        if (options.RetentionCheckInterval <= TimeSpan.Zero)
        {
            failures.Add("Broker:RetentionCheckInterval must be positive.");
        }

        if (options.SegmentAge <= TimeSpan.Zero)
        {
            failures.Add("Broker:SegmentAge must be positive.");
        }

        failures.AddRange(options.Queues.Validate());
        if (options.GroupHeartbeatInterval <= TimeSpan.Zero)
        {
            failures.Add("Broker:GroupHeartbeatInterval must be positive.");
        }

        if (options.GroupInitialRebalanceDelay < TimeSpan.Zero || options.GroupInitialRebalanceDelay > TimeSpan.FromMinutes(5))
        {
            failures.Add("Broker:GroupInitialRebalanceDelay must be between 0 and 5 minutes.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
