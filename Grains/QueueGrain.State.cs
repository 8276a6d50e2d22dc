using OrleansBroker.Grains.State;

namespace OrleansBroker.Grains;

public sealed partial class QueueGrain
{
    /// <summary>
    /// Makes the current delivery state durable. At most one write is in flight; calls that arrive meanwhile
    /// share the next one (group commit), which snapshots the state after all of their changes.
    /// </summary>
    private Task PersistAsync()
    {
        var waiters = _writeWaiters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_writer is null || _writer.IsCompleted)
        {
            _writer = WriteLoopAsync();
        }

        return waiters.Task;
    }

    /// <summary>Persists without waiting; a failure is logged by the write loop and fails the next waiting call's write too.</summary>
    private void PersistInBackground() => _ = PersistAsync();

    private async Task WriteLoopAsync()
    {
        while (_writeWaiters is { } waiters)
        {
            _writeWaiters = null;
            try
            {
                state.State = new QueueState
                {
                    StartOffset = _window.Start,
                    Window = _window.Snapshot(),
                    Acknowledged = _acknowledged,
                    DeadLettered = _deadLettered,
                };
                await state.WriteStateAsync();
                waiters.TrySetResult();
            }
            catch (Exception exception)
            {
                // A StorageError: the activation makes way for one that reads the state again (BrokerPersistentState).
                LogWriteFailed(logger, exception, _id);
                waiters.TrySetException(exception);
            }
        }
    }
}
