using System.Collections.Immutable;
using System.Reflection;

namespace OrleansBroker.Grains.Tests.Groups;

/// <summary>
/// One client's view of the cluster whose calls to consumer groups can be cut, as a crashed or partitioned process
/// stops making them, and whose observers can be made unreachable; and barriers for "a heartbeat sent after now has
/// completed" and "a call made after now was cut".
/// </summary>
public class CuttableGroupConnection : DispatchProxy
{
    private readonly Lock _lock = new();
    private readonly List<(int? Owning, TaskCompletionSource Done)> _heartbeatWaiters = [];
    private readonly List<(string Method, TaskCompletionSource Done)> _cutWaiters = [];
    private readonly HashSet<IConsumerGroupObserver> _forgotten = [];
    private IGrainFactory _factory = null!;

    public bool IsCut { get; set; }

    /// <summary>Observer references created from now on lead nowhere: the client forgets their objects at once.</summary>
    public bool ObserversUnreachable { get; set; }

    public IGrainFactory GrainFactory { get; private set; } = null!;

    public static CuttableGroupConnection Create(IGrainFactory factory)
    {
        var proxy = Create<IGrainFactory, CuttableGroupConnection>();
        var connection = (CuttableGroupConnection)(object)proxy;
        connection._factory = factory;
        connection.GrainFactory = proxy;
        return connection;
    }

    /// <summary>
    /// Completes when a heartbeat that starts after this call has been answered; with <paramref name="owning"/>, only a
    /// heartbeat that reports that many owned partitions counts.
    /// </summary>
    public Task NextHeartbeatAsync(int? owning = null)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _heartbeatWaiters.Add((owning, waiter));
        }

        return waiter.Task;
    }

    /// <summary>Completes when a call to the group method <paramref name="method"/> that starts after this call has been cut.</summary>
    public Task NextCutCallAsync(string method)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _cutWaiters.Add((method, waiter));
        }

        return waiter.Task;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == nameof(IGrainFactory.DeleteObjectReference) && args![0] is IConsumerGroupObserver forgotten && _forgotten.Contains(forgotten))
        {
            return null;
        }

        var result = targetMethod.Invoke(_factory, args);
        if (ObserversUnreachable && result is IConsumerGroupObserver observer)
        {
            // The reference stays valid, so the group keeps calling it; the client runtime drops what arrives.
            _factory.DeleteObjectReference<IConsumerGroupObserver>(observer);
            _forgotten.Add(observer);
        }

        return result is IConsumerGroupGrain group ? CuttableGroupGrain.Wrap(group, this) : result;
    }

    private void ObserveCut(string method)
    {
        List<(string Method, TaskCompletionSource Done)> waiters;
        lock (_lock)
        {
            waiters = _cutWaiters.FindAll(w => w.Method == method);
            _cutWaiters.RemoveAll(w => w.Method == method);
        }

        waiters.ForEach(w => w.Done.TrySetResult());
    }

    private async Task<GroupAssignment> ObserveHeartbeatAsync(Task<GroupAssignment> heartbeat, int owned)
    {
        List<(int? Owning, TaskCompletionSource Done)> waiters;
        lock (_lock)
        {
            waiters = _heartbeatWaiters.FindAll(w => w.Owning is null || w.Owning == owned);
            _heartbeatWaiters.RemoveAll(w => w.Owning is null || w.Owning == owned);
        }

        var response = await heartbeat;
        waiters.ForEach(w => w.Done.TrySetResult());
        return response;
    }

    /// <summary>Forwards group grain calls, fails them as timeouts while cut, and reports heartbeats.</summary>
    public class CuttableGroupGrain : DispatchProxy
    {
        private IConsumerGroupGrain _grain = null!;
        private CuttableGroupConnection _connection = null!;

        public static IConsumerGroupGrain Wrap(IConsumerGroupGrain grain, CuttableGroupConnection connection)
        {
            var proxy = Create<IConsumerGroupGrain, CuttableGroupGrain>();
            var cuttable = (CuttableGroupGrain)(object)proxy;
            cuttable._grain = grain;
            cuttable._connection = connection;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (_connection.IsCut)
            {
                _connection.ObserveCut(targetMethod!.Name);
                var failure = new TimeoutException("The connection to the group is cut.");
                return targetMethod!.ReturnType == typeof(Task)
                    ? Task.FromException(failure)
                    : typeof(Task).GetMethods().Single(m => m.Name == nameof(Task.FromException) && m.IsGenericMethod)
                        .MakeGenericMethod(targetMethod.ReturnType.GetGenericArguments()[0])
                        .Invoke(null, [failure]);
            }

            var result = targetMethod!.Invoke(_grain, args);
            return targetMethod.Name == nameof(IConsumerGroupGrain.HeartbeatAsync)
                ? _connection.ObserveHeartbeatAsync((Task<GroupAssignment>)result!, ((ImmutableArray<TopicPartition>)args![2]!).Length)
                : result;
        }
    }
}
