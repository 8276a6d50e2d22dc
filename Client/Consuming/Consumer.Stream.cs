using OrleansBroker.Records;

namespace OrleansBroker.Client.Consuming;

public sealed partial class Consumer
{
    /// <summary>
    /// The stream <see cref="ConsumeAsync"/> returns. Its enumerator hands out the records of the fetch it holds without
    /// waiting, so moving to the next record costs a read of it, not a trip through an async state machine; it waits
    /// (<see cref="NextFetchAsync"/>) only once the fetch is used up.
    /// </summary>
    private sealed class RecordStream(Consumer consumer, CancellationToken cancellationToken) : IAsyncEnumerable<ConsumeResult>
    {
        public IAsyncEnumerator<ConsumeResult> GetAsyncEnumerator(CancellationToken enumeratorCancellation = default) =>
            new Enumerator(consumer, cancellationToken, enumeratorCancellation);

        internal sealed class Enumerator : IAsyncEnumerator<ConsumeResult>
        {
            private readonly Consumer _consumer;
            private readonly CancellationTokenSource? _linked;
            private readonly CancellationToken _cancellationToken;
            private bool _started;
            private PartitionFetcher? _fetcher;
            private RecordBatchReader _reader;
            private int _generation;
            private Task _assignmentChanged = Task.CompletedTask;
            private bool _handedOut;

            public Enumerator(Consumer consumer, CancellationToken streamCancellation, CancellationToken enumeratorCancellation)
            {
                _consumer = consumer;

                // As an async iterator with [EnumeratorCancellation] does: either token ends the stream.
                if (!enumeratorCancellation.CanBeCanceled || enumeratorCancellation == streamCancellation)
                {
                    _cancellationToken = streamCancellation;
                }
                else if (!streamCancellation.CanBeCanceled)
                {
                    _cancellationToken = enumeratorCancellation;
                }
                else
                {
                    _linked = CancellationTokenSource.CreateLinkedTokenSource(streamCancellation, enumeratorCancellation);
                    _cancellationToken = _linked.Token;
                }
            }

            public ConsumeResult Current { get; private set; }

            public ValueTask<bool> MoveNextAsync() => TryReadNext() ? new ValueTask<bool>(true) : NextFetchAsync();

            public ValueTask DisposeAsync()
            {
                _linked?.Dispose();
                return ValueTask.CompletedTask;
            }

            /// <summary>Hands out the batches of a fetch of <paramref name="fetcher"/>, which answered at its current generation.</summary>
            internal void Read(PartitionFetcher fetcher, ReadOnlyMemory<byte> batches, Task assignmentChanged)
            {
                _fetcher = fetcher;
                _reader = new RecordBatchReader(batches);
                _generation = fetcher.Generation;
                _assignmentChanged = assignmentChanged;
                _handedOut = false;
            }

            private async ValueTask<bool> NextFetchAsync()
            {
                if (!_started)
                {
                    ObjectDisposedException.ThrowIf(_consumer._disposed, _consumer);
                    _started = true;
                }

                while (await _consumer.NextFetchAsync(this, _cancellationToken))
                {
                    if (TryReadNext())
                    {
                        return true;
                    }
                }

                return false;
            }

            /// <summary>The next record of the fetch held, when there is one and neither a seek nor the group moved the partition since the last.</summary>
            private bool TryReadNext()
            {
                if (_fetcher is not { } fetcher)
                {
                    return false;
                }

                if (_handedOut && (fetcher.Generation != _generation || _assignmentChanged.IsCompleted))
                {
                    if (fetcher.Generation == _generation)
                    {
                        // Apply the group's change before the next record; the rest of this fetch is fetched again.
                        fetcher.SeekTo(fetcher.Position);
                    }

                    _fetcher = null;
                    return false;
                }

                while (_reader.TryReadNext(out var record))
                {
                    if (record.Offset < fetcher.Position)
                    {
                        continue;
                    }

                    fetcher.Position = record.Offset + 1;
                    Current = new ConsumeResult(fetcher.TopicPartition, record);
                    _handedOut = true;
                    return true;
                }

                _fetcher = null;
                if (_reader.Status != BatchStatus.Valid)
                {
                    throw new CorruptRecordException(
                        $"A batch fetched from {fetcher.TopicPartition} at offset {_reader.NextOffset} is corrupt: {_reader.Status}.");
                }

                return false;
            }
        }
    }
}
