namespace OrleansBroker.Grains.Queues;

/// <summary>
/// The delivery state of the records of one partition from <see cref="Start"/> (every record below it is done)
/// up to <see cref="End"/>, in ring arrays indexed by offset modulo the window size:
/// <code>
///   Start                      touched end                              End = Start + size
///   |  done, leased, delayed, available  |  never delivered: available, count 0  |
/// </code>
/// A record is available, leased to a member until a deadline, delayed (released with a delay) until a deadline,
/// being dead-lettered, or done. Deadlines are <see cref="TimeProvider"/> UTC ticks. Not thread-safe: the queue
/// grain calls it from its own turns only.
/// </summary>
internal sealed class DeliveryWindow
{
    /// <summary>A done record in <see cref="Snapshot"/>; any other byte is a delivery count.</summary>
    internal const byte DoneMarker = byte.MaxValue;

    private readonly int _size;
    private readonly SlotStatus[] _status;
    private readonly byte[] _counts;
    private readonly string?[] _owners;
    private readonly long[] _deadlines;
    private long _touchedEnd;
    private long _lowestAvailable;
    private long _nextDeadline = long.MaxValue;

    /// <summary>Restores a window from <paramref name="start"/> and a <see cref="Snapshot"/> of the records after it.</summary>
    public DeliveryWindow(int size, long start, ReadOnlySpan<byte> snapshot)
    {
        _size = Math.Max(size, snapshot.Length);
        _status = new SlotStatus[_size];
        _counts = new byte[_size];
        _owners = new string?[_size];
        _deadlines = new long[_size];
        Start = start;
        _lowestAvailable = start;
        _touchedEnd = start + snapshot.Length;
        for (var i = 0; i < snapshot.Length; i++)
        {
            var slot = Slot(start + i);
            if (snapshot[i] == DoneMarker)
            {
                _status[slot] = SlotStatus.Done;
            }
            else
            {
                _counts[slot] = snapshot[i];
            }
        }

        AdvanceStart();
    }

    private enum SlotStatus : byte
    {
        Available,
        Leased,
        Delayed,
        DeadLettering,
        Done,
    }

    /// <summary>Every record below this offset is done.</summary>
    public long Start { get; private set; }

    /// <summary>The first offset past the window: no record at or above it is delivered.</summary>
    public long End => Start + _size;

    /// <summary>Records leased now.</summary>
    public int InFlight { get; private set; }

    /// <summary>The earliest lease expiry or delayed release, in UTC ticks; <see cref="long.MaxValue"/> when there is none.</summary>
    public long NextDeadline => _nextDeadline;

    /// <summary>Makes expired leases and due delayed releases available.</summary>
    /// <returns>Whether a record became available.</returns>
    public bool Expire(long now)
    {
        if (now < _nextDeadline)
        {
            return false;
        }

        var changed = false;
        var next = long.MaxValue;
        for (var offset = Start; offset < _touchedEnd; offset++)
        {
            var slot = Slot(offset);
            if (_status[slot] is not (SlotStatus.Leased or SlotStatus.Delayed))
            {
                continue;
            }

            if (_deadlines[slot] <= now)
            {
                MakeAvailable(offset, slot);
                changed = true;
            }
            else
            {
                next = Math.Min(next, _deadlines[slot]);
            }
        }

        _nextDeadline = next;
        return changed;
    }

    /// <summary>The lowest available offset below <paramref name="limit"/>, or null.</summary>
    public long? FirstAvailable(long limit)
    {
        limit = Math.Min(limit, End);
        var offset = Math.Max(_lowestAvailable, Start);
        while (offset < limit && offset < _touchedEnd && _status[Slot(offset)] != SlotStatus.Available)
        {
            offset++;
        }

        _lowestAvailable = offset;
        return offset < limit ? offset : null;
    }

    /// <summary>
    /// Leases the available records in [<paramref name="from"/>, <paramref name="to"/>) to <paramref name="member"/>,
    /// up to <paramref name="maxRecords"/> in all. A record already delivered <paramref name="maxDeliveryAttempts"/>
    /// times is not leased: it goes to <paramref name="deadLetter"/>, marked as being dead-lettered.
    /// </summary>
    public void Lease(
        long from,
        long to,
        int maxRecords,
        string member,
        long deadline,
        int maxDeliveryAttempts,
        List<long> leased,
        List<short> deliveryCounts,
        List<long> deadLetter)
    {
        to = Math.Min(to, End);
        for (var offset = Math.Max(from, Start); offset < to && leased.Count + deadLetter.Count < maxRecords; offset++)
        {
            var slot = Slot(offset);
            if (offset < _touchedEnd && _status[slot] != SlotStatus.Available)
            {
                continue;
            }

            _touchedEnd = Math.Max(_touchedEnd, offset + 1);
            if (_counts[slot] >= maxDeliveryAttempts)
            {
                _status[slot] = SlotStatus.DeadLettering;
                deadLetter.Add(offset);
                continue;
            }

            _status[slot] = SlotStatus.Leased;
            _counts[slot]++;
            _owners[slot] = member;
            _deadlines[slot] = deadline;
            InFlight++;
            leased.Add(offset);
            deliveryCounts.Add(_counts[slot]);
        }

        if (leased.Count > 0)
        {
            _nextDeadline = Math.Min(_nextDeadline, deadline);
        }
    }

    /// <summary>The first of <paramref name="offsets"/> not leased to <paramref name="member"/> now, or null when all are.</summary>
    public long? FirstNotLeasedTo(string member, ReadOnlySpan<long> offsets)
    {
        foreach (var offset in offsets)
        {
            if (offset < Start || offset >= _touchedEnd)
            {
                return offset;
            }

            var slot = Slot(offset);
            if (_status[slot] != SlotStatus.Leased || !string.Equals(_owners[slot], member, StringComparison.Ordinal))
            {
                return offset;
            }
        }

        return null;
    }

    /// <summary>Marks leased or dead-lettering records done; returns how many changed. The start moves past done records.</summary>
    public int Complete(ReadOnlySpan<long> offsets)
    {
        var completed = 0;
        foreach (var offset in offsets)
        {
            var slot = Slot(offset);
            if (offset < Start || offset >= _touchedEnd || _status[slot] is not (SlotStatus.Leased or SlotStatus.DeadLettering))
            {
                continue;
            }

            if (_status[slot] == SlotStatus.Leased)
            {
                InFlight--;
            }

            _status[slot] = SlotStatus.Done;
            _owners[slot] = null;
            completed++;
        }

        AdvanceStart();
        return completed;
    }

    /// <summary>Ends the leases of records: they are available again at once, or at <paramref name="availableAt"/>.</summary>
    public void Release(ReadOnlySpan<long> offsets, long? availableAt)
    {
        foreach (var offset in offsets)
        {
            var slot = Slot(offset);
            if (offset < Start || offset >= _touchedEnd || _status[slot] != SlotStatus.Leased)
            {
                continue;
            }

            if (availableAt is { } at)
            {
                InFlight--;
                _status[slot] = SlotStatus.Delayed;
                _owners[slot] = null;
                _deadlines[slot] = at;
                _nextDeadline = Math.Min(_nextDeadline, at);
            }
            else
            {
                MakeAvailable(offset, slot);
            }
        }
    }

    /// <summary>Ends the leases of records and marks them as being dead-lettered (neither available nor leased).</summary>
    public void BeginDeadLetter(ReadOnlySpan<long> offsets)
    {
        foreach (var offset in offsets)
        {
            var slot = Slot(offset);
            if (offset >= Start && offset < _touchedEnd && _status[slot] == SlotStatus.Leased)
            {
                InFlight--;
                _status[slot] = SlotStatus.DeadLettering;
                _owners[slot] = null;
            }
        }
    }

    /// <summary>Makes records that could not be dead-lettered available again.</summary>
    public void AbortDeadLetter(ReadOnlySpan<long> offsets)
    {
        foreach (var offset in offsets)
        {
            var slot = Slot(offset);
            if (offset >= Start && offset < _touchedEnd && _status[slot] == SlotStatus.DeadLettering)
            {
                MakeAvailable(offset, slot);
            }
        }
    }

    /// <summary>How many times the record at <paramref name="offset"/> (in the window) has been delivered.</summary>
    public int DeliveryCount(long offset) => _counts[Slot(offset)];

    /// <summary>Treats every record below <paramref name="offset"/> as done (the log no longer holds them).</summary>
    public void SkipTo(long offset)
    {
        while (Start < offset)
        {
            var slot = Slot(Start);
            if (Start < _touchedEnd && _status[slot] == SlotStatus.Leased)
            {
                InFlight--;
            }

            Clear(slot);
            Start++;
        }

        _touchedEnd = Math.Max(_touchedEnd, Start);
        _lowestAvailable = Math.Max(_lowestAvailable, Start);
    }

    /// <summary>Records in [<see cref="Start"/>, <paramref name="highWatermark"/>) that are neither done nor leased.</summary>
    public long CountWaiting(long highWatermark)
    {
        var waiting = Math.Max(0, highWatermark - _touchedEnd);
        for (var offset = Start; offset < Math.Min(_touchedEnd, highWatermark); offset++)
        {
            if (_status[Slot(offset)] is SlotStatus.Available or SlotStatus.Delayed or SlotStatus.DeadLettering)
            {
                waiting++;
            }
        }

        return waiting;
    }

    /// <summary>
    /// The durable part of the window: one byte per record from <see cref="Start"/> to the last one ever delivered,
    /// <see cref="DoneMarker"/> for a done record, else its delivery count. Leases and delays are not kept.
    /// </summary>
    public byte[] Snapshot()
    {
        var snapshot = new byte[_touchedEnd - Start];
        for (var i = 0; i < snapshot.Length; i++)
        {
            var slot = Slot(Start + i);
            snapshot[i] = _status[slot] == SlotStatus.Done ? DoneMarker : _counts[slot];
        }

        return snapshot;
    }

    private void MakeAvailable(long offset, int slot)
    {
        if (_status[slot] == SlotStatus.Leased)
        {
            InFlight--;
        }

        _status[slot] = SlotStatus.Available;
        _owners[slot] = null;
        _lowestAvailable = Math.Min(_lowestAvailable, offset);
    }

    private void AdvanceStart()
    {
        while (Start < _touchedEnd && _status[Slot(Start)] == SlotStatus.Done)
        {
            Clear(Slot(Start));
            Start++;
        }

        _lowestAvailable = Math.Max(_lowestAvailable, Start);
    }

    private void Clear(int slot)
    {
        _status[slot] = SlotStatus.Available;
        _counts[slot] = 0;
        _owners[slot] = null;
        _deadlines[slot] = 0;
    }

    private int Slot(long offset) => (int)(offset % _size);
}
