namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>A member's observer: counts the group's notices, with a barrier for the next one.</summary>
internal sealed class GroupNotices : IConsumerGroupObserver, IDisposable
{
    private readonly Lock _lock = new();
    private readonly IGrainFactory _grainFactory;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public GroupNotices(IGrainFactory grainFactory)
    {
        _grainFactory = grainFactory;
        Reference = grainFactory.CreateObjectReference<IConsumerGroupObserver>(this);
    }

    /// <summary>The reference a member joins with.</summary>
    public IConsumerGroupObserver Reference { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Completes when a notice that arrives after this call has arrived.</summary>
    public Task NextAsync()
    {
        lock (_lock)
        {
            return _next.Task;
        }
    }

    public Task AssignmentChangedAsync()
    {
        lock (_lock)
        {
            _count++;
            _next.TrySetResult();
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return Task.CompletedTask;
    }

    public void Dispose() => _grainFactory.DeleteObjectReference<IConsumerGroupObserver>(Reference);
}
