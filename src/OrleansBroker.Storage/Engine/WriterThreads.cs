namespace OrleansBroker.Storage.Engine;

/// <summary>
/// The threads that run the logs' blocking work: group-commit writes and fsyncs, opens, retention. Orleans runs
/// grains on the .NET thread pool, so a thread blocked in fsync there is a thread no grain can use, and the pool
/// adds threads only slowly; these dedicated threads keep disk waits off it. A log's writer loop holds a thread
/// only while it has appends to write, so a few threads serve many logs. An idle thread sleeps on a monitor without
/// spinning first (as a BlockingCollection's semaphore does): on a small machine, spinning writer threads took CPU
/// from the grains and the clients between group commits.
/// </summary>
internal sealed class WriterThreads : TaskScheduler
{
    /// <summary>The threads every log of the process shares.</summary>
    public static readonly WriterThreads Shared = new(Math.Max(4, Environment.ProcessorCount * 2));

    private readonly Queue<Task> _queue = new();

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

    protected override void QueueTask(Task task)
    {
        lock (_queue)
        {
            _queue.Enqueue(task);
            Monitor.Pulse(_queue);
        }
    }

    // Inlining would run blocking log work on whichever thread awaits it, the grain's among them.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_queue)
        {
            return _queue.ToArray();
        }
    }

    private void Run()
    {
        while (true)
        {
            Task task;
            lock (_queue)
            {
                while (!_queue.TryDequeue(out task!))
                {
                    Monitor.Wait(_queue);
                }
            }

            TryExecuteTask(task);
        }
    }
}
