using System.Collections.Concurrent;

namespace OrleansBroker.Storage.Engine;

/// <summary>
/// The threads that run the logs' blocking work: group-commit writes and fsyncs, opens, retention. Orleans runs
/// grains on the .NET thread pool, so a thread blocked in fsync there is a thread no grain can use, and the pool
/// adds threads only slowly; these dedicated threads keep disk waits off it. A log's writer loop holds a thread
/// only while it has appends to write, so a few threads serve many logs.
/// </summary>
internal sealed class WriterThreads : TaskScheduler
{
    /// <summary>The threads every log of the process shares.</summary>
    public static readonly WriterThreads Shared = new(Math.Max(4, Environment.ProcessorCount * 2));

    private readonly BlockingCollection<Task> _queue = [];

    private WriterThreads(int threads)
    {
        for (var i = 0; i < threads; i++)
        {
            new Thread(Run) { IsBackground = true, Name = $"OrleansBroker log writer {i}" }.Start();
        }

        Factory = new TaskFactory(CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskContinuationOptions.None, this);
    }

    /// <summary>Starts work on these threads.</summary>
    public TaskFactory Factory { get; }

    public override int MaximumConcurrencyLevel => int.MaxValue;

    protected override void QueueTask(Task task) => _queue.Add(task);

    // Inlining would run blocking log work on whichever thread awaits it, the grain's among them.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Run()
    {
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }
}
