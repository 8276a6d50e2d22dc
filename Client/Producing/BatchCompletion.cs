using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace OrleansBroker.Client.Producing;

/// <summary>
/// Completes every record of one batch at once. Each record's <see cref="ValueTask{TResult}"/> points at this
/// source with its index in the batch as the token, so producing a record allocates no task of its own.
/// Unlike <see cref="ManualResetValueTaskSourceCore{TResult}"/>, it serves many awaiters, one per record.
/// A batch is never reused, so a token stays valid for as long as anyone holds the value task.
/// </summary>
internal sealed class BatchCompletion(TopicPartition topicPartition) : IValueTaskSource<ProduceResult>
{
    private readonly Lock _lock = new();
    private List<Continuation>? _continuations;
    private ExceptionDispatchInfo? _error;
    private long _baseOffset;
    private volatile bool _completed;

    public TopicPartition TopicPartition => topicPartition;

    public ValueTask<ProduceResult> ForRecordAsync(int index) => new(this, checked((short)index));

    public void SetResult(long baseOffset)
    {
        _baseOffset = baseOffset;
        Complete();
    }

    public void SetException(Exception exception)
    {
        _error = ExceptionDispatchInfo.Capture(exception);
        Complete();
    }

    public ValueTaskSourceStatus GetStatus(short token) =>
        !_completed ? ValueTaskSourceStatus.Pending
        : _error is null ? ValueTaskSourceStatus.Succeeded
        : ValueTaskSourceStatus.Faulted;

    public ProduceResult GetResult(short token)
    {
        if (!_completed)
        {
            throw new InvalidOperationException("The record has not been acknowledged yet.");
        }

        _error?.Throw();
        return new ProduceResult(topicPartition, _baseOffset + token);
    }

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        var captured = new Continuation(
            continuation,
            state,
            (flags & ValueTaskSourceOnCompletedFlags.FlowExecutionContext) != 0 ? ExecutionContext.Capture() : null,
            (flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0 ? CaptureSchedulingContext() : null);
        lock (_lock)
        {
            if (!_completed)
            {
                (_continuations ??= []).Add(captured);
                return;
            }
        }

        captured.Schedule();
    }

    private void Complete()
    {
        List<Continuation>? continuations;
        lock (_lock)
        {
            _completed = true;
            continuations = _continuations;
            _continuations = null;
        }

        if (continuations is not null)
        {
            foreach (var continuation in continuations)
            {
                continuation.Schedule();
            }
        }
    }

    // An awaiter inside an Orleans grain (or any custom scheduler) must resume there, not on the thread pool.
    private static object? CaptureSchedulingContext()
    {
        var synchronizationContext = SynchronizationContext.Current;
        if (synchronizationContext is not null && synchronizationContext.GetType() != typeof(SynchronizationContext))
        {
            return synchronizationContext;
        }

        return TaskScheduler.Current != TaskScheduler.Default ? TaskScheduler.Current : null;
    }

    private readonly record struct Continuation(
        Action<object?> Callback, object? State, ExecutionContext? ExecutionContext, object? SchedulingContext)
    {
        public void Schedule()
        {
            switch (SchedulingContext)
            {
                case SynchronizationContext synchronizationContext:
                    var self = this;
                    synchronizationContext.Post(_ => self.Run(), null);
                    break;
                case TaskScheduler scheduler:
                    var copy = this;
                    _ = Task.Factory.StartNew(() => copy.Run(), CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler);
                    break;
                default:
                    ThreadPool.UnsafeQueueUserWorkItem(static c => c.Run(), this, preferLocal: false);
                    break;
            }
        }

        private void Run()
        {
            if (ExecutionContext is null)
            {
                Callback(State);
            }
            else
            {
                ExecutionContext.Run(ExecutionContext, static s => ((Continuation)s!).Callback(((Continuation)s!).State), this);
            }
        }
    }
}
