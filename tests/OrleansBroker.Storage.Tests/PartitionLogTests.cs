using CsCheck;
using OrleansBroker.Records;
using OrleansBroker.Storage.Engine;

namespace OrleansBroker.Storage.Tests;

public sealed class PartitionLogTests : IDisposable
{
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 128 };

    private readonly TestStores _stores = new();

    public static TheoryData<string> Backends => TestStores.Backends;

    public static TheoryData<string> FileBackends => TestStores.FileBackends;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => _stores.Dispose();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Appended_batches_read_back_byte_for_byte_with_consecutive_offsets(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, SmallSegments);
        var batches = Enumerable.Range(1, 40).Select(i => TestBatches.Create(i % 7 + 1, valueBytes: i)).ToList();

        var offsets = new List<long>();
        foreach (var batch in batches)
        {
            offsets.Add(await log.AppendAsync(batch, Cancellation));
        }

        var expectedOffsets = new List<long>();
        var next = 0L;
        foreach (var batch in batches)
        {
            expectedOffsets.Add(next);
            next += TestBatches.RecordCount(batch);
        }

        Assert.Equal(expectedOffsets, offsets);
        Assert.Equal(next, log.HighWatermark);
        Assert.Equal(next, log.NextOffset);
        Assert.Equal(batches.Sum(batch => (long)batch.Length), log.SizeInBytes);
        LogAssert.SameBatches(batches, await LogAssert.ReadAllAsync(log, 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Reading_from_every_offset_returns_the_batch_holding_it_then_the_following_ones(string backend)
    {
        var topic = 0;
        var gen = Gen.Select(Gen.Int[1, 12].Array[1, 40], Gen.Int[200, 2000], Gen.Int[32, 600], Gen.Int[0, 1500]);
        await gen.SampleAsync(
            async (recordCounts, segmentBytes, indexInterval, maxBytes) =>
            {
                var config = LogConfig.Default with { SegmentBytes = segmentBytes, IndexIntervalBytes = indexInterval };
                await using var log = await OpenAsync(backend, $"prop{Interlocked.Increment(ref topic)}", 1, config);
                var batches = new List<byte[]>();
                foreach (var count in recordCounts)
                {
                    var batch = TestBatches.Create(count, valueBytes: count * 3);
                    await log.AppendAsync(batch, Cancellation);
                    batches.Add(batch);
                }

                for (var offset = 0L; offset < log.HighWatermark; offset++)
                {
                    var result = await log.ReadAsync(offset, maxBytes, Cancellation);
                    Assert.Equal(LogReadStatus.Ok, result.Status);
                    var read = TestBatches.Split(result.Batches);
                    var first = batches.FindIndex(batch => TestBatches.BaseOffset(batch) + TestBatches.RecordCount(batch) > offset);
                    Assert.True(read.Count == 1 || result.Batches.Length <= maxBytes);
                    LogAssert.SameBatches(batches.GetRange(first, read.Count), read);

                    // Stopping early is only allowed where the next batch would not have fit.
                    if (first + read.Count < batches.Count)
                    {
                        Assert.True(result.Batches.Length + batches[first + read.Count].Length > maxBytes);
                    }
                }
            },
            iter: TestStores.IsFile(backend) ? 40 : 150);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Reads_at_the_high_watermark_are_empty_and_beyond_it_out_of_range(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default);
        await log.AppendAsync(TestBatches.Create(3), Cancellation);

        var atEnd = await log.ReadAsync(3, 1000, Cancellation);
        var beyond = await log.ReadAsync(4, 1000, Cancellation);
        var negative = await log.ReadAsync(-1, 1000, Cancellation);

        Assert.Equal((LogReadStatus.Ok, 0, 3L), (atEnd.Status, atEnd.Batches.Length, atEnd.HighWatermark));
        Assert.Equal(LogReadStatus.OffsetOutOfRange, beyond.Status);
        Assert.Equal(LogReadStatus.OffsetOutOfRange, negative.Status);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_read_returns_one_whole_batch_even_when_it_is_larger_than_max_bytes(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default);
        var batch = TestBatches.Create(10, valueBytes: 100);
        await log.AppendAsync(batch, Cancellation);
        await log.AppendAsync(TestBatches.Create(1), Cancellation);

        var result = await log.ReadAsync(5, 10, Cancellation);

        Assert.Equal(batch, result.Batches.ToArray());
    }

    [Theory]
    [MemberData(nameof(FileBackends))]
    public async Task The_segment_rolls_before_a_batch_that_would_exceed_segment_bytes_and_each_file_holds_exactly_its_batches(string backend)
    {
        var partition = new LogPartition("orders", 0);
        var config = LogConfig.Default with { SegmentBytes = 1000 };
        var batches = Enumerable.Range(0, 12).Select(_ => TestBatches.Create(10, valueBytes: 20)).ToList();
        await using (var log = await _stores.Store(backend).OpenAsync(partition, 1, config, Cancellation))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }
        }

        // 10 records of 20 bytes make 331-byte batches: three fit in 1000 bytes, a fourth does not. Direct I/O pads its
        // writes to whole blocks: sealing a segment and closing the log cut that padding off.
        Assert.Equal(331, batches[0].Length);
        var segments = Directory.GetFiles(_stores.LogDirectory(partition), "*.log").Order().ToList();
        Assert.Equal(["00000000000000000000.log", "00000000000000000030.log", "00000000000000000060.log", "00000000000000000090.log"], segments.Select(Path.GetFileName));
        Assert.All(segments, segment => Assert.Equal(993, new FileInfo(segment).Length));
        Assert.Equal(3, Directory.GetFiles(_stores.LogDirectory(partition), "*.index").Length);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_batch_larger_than_segment_bytes_still_goes_into_an_empty_segment(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default with { SegmentBytes = 100, MaxBatchBytes = 100 });
        await log.AppendAsync(TestBatches.Create(1, valueBytes: 20), Cancellation);

        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(TestBatches.Create(5, valueBytes: 20), Cancellation));
        await log.AppendAsync(TestBatches.Create(1, valueBytes: 20), Cancellation);

        Assert.Equal([0L, 1L], Segments(log).Select(segment => segment.BaseOffset));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task The_segment_rolls_once_its_first_append_is_older_than_segment_age(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default with { SegmentAge = TimeSpan.FromHours(1) });
        await log.AppendAsync(TestBatches.Create(2), Cancellation);
        _stores.Time.Advance(TimeSpan.FromMinutes(59));
        await log.AppendAsync(TestBatches.Create(2), Cancellation);
        Assert.Single(Segments(log));

        _stores.Time.Advance(TimeSpan.FromMinutes(1));
        await log.AppendAsync(TestBatches.Create(2), Cancellation);

        Assert.Equal([0L, 4L], Segments(log).Select(segment => segment.BaseOffset));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task The_sparse_index_gets_an_entry_per_index_interval_and_finds_offsets(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default with { IndexIntervalBytes = 200 });
        var batches = Enumerable.Range(0, 20).Select(_ => TestBatches.Create(4, valueBytes: 10)).ToList();
        foreach (var batch in batches)
        {
            await log.AppendAsync(batch, Cancellation);
        }

        // 129-byte batches: an entry lands on every second batch, the first 258 bytes in.
        var index = Segments(log)[0].Index;
        Assert.Equal(129, batches[0].Length);
        Assert.Equal(9, index.Count);
        Assert.Equal(new IndexEntry(8, 258, 0), index.FloorByOffset(11));
        Assert.Equal(IndexEntry.Start, index.FloorByOffset(7));
        for (var i = 0; i < batches.Count; i++)
        {
            var result = await log.ReadAsync((i * 4) + 3, batches[i].Length, Cancellation);
            Assert.Equal(batches[i], result.Batches.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Find_offset_by_timestamp_returns_the_first_batch_at_or_after_the_timestamp(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, SmallSegments);
        for (var i = 0; i < 30; i++)
        {
            await log.AppendAsync(TestBatches.Create(2, valueBytes: 30, timestamp: 1000 + (i * 10)), Cancellation);
        }

        Assert.True(Segments(log).Count > 2);
        Assert.Equal(0, await log.FindOffsetByTimestampAsync(0, Cancellation));
        Assert.Equal(0, await log.FindOffsetByTimestampAsync(1000, Cancellation));
        Assert.Equal(2, await log.FindOffsetByTimestampAsync(1001, Cancellation));
        Assert.Equal(34, await log.FindOffsetByTimestampAsync(1170, Cancellation));
        Assert.Equal(58, await log.FindOffsetByTimestampAsync(1290, Cancellation));
        Assert.Null(await log.FindOffsetByTimestampAsync(1291, Cancellation));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Retention_by_time_deletes_the_sealed_segments_whose_newest_record_is_too_old(string backend)
    {
        var config = LogConfig.Default with { SegmentBytes = 1000, RetentionTime = TimeSpan.FromHours(1) };
        await using var log = await OpenAsync(backend, "orders", 1, config);
        var start = _stores.NowMs;
        for (var i = 0; i < 12; i++)
        {
            // Three 331-byte batches per segment; timestamps one minute apart.
            await log.AppendAsync(TestBatches.Create(10, valueBytes: 20, timestamp: start + (i * 60_000)), Cancellation);
        }

        _stores.Time.Advance(TimeSpan.FromMinutes(66));
        var logStart = await log.EnforceRetentionAsync(Cancellation);

        // Segment 0 (newest record at minute 2) and segment 30 (minute 5) are more than an hour old at minute 66;
        // segment 60 (minute 8) is not.
        Assert.Equal(60, logStart);
        Assert.Equal(60, log.LogStartOffset);
        Assert.Equal([60L, 90L], Segments(log).Select(segment => segment.BaseOffset));
        Assert.Equal(2 * 993, log.SizeInBytes);
        Assert.Equal(LogReadStatus.OffsetOutOfRange, (await log.ReadAsync(59, 1000, Cancellation)).Status);
        Assert.Equal(60, TestBatches.BaseOffset(TestBatches.Split((await log.ReadAsync(60, 1000, Cancellation)).Batches)[0]));

        _stores.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(90, await log.EnforceRetentionAsync(Cancellation));
        Assert.Single(Segments(log));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Retention_by_bytes_deletes_the_oldest_sealed_segments_while_the_log_is_too_big(string backend)
    {
        var config = LogConfig.Default with { SegmentBytes = 1000, RetentionTime = null, RetentionBytes = 2500 };
        await using var log = await OpenAsync(backend, "orders", 1, config);
        var batches = Enumerable.Range(0, 13).Select(_ => TestBatches.Create(10, valueBytes: 20)).ToList();
        foreach (var batch in batches)
        {
            await log.AppendAsync(batch, Cancellation);
        }

        // Four full segments of 993 bytes and an active one of 331 (4,303 bytes): two sealed ones must go.
        Assert.Equal((4 * 993) + 331, log.SizeInBytes);
        Assert.Equal(60, await log.EnforceRetentionAsync(Cancellation));
        Assert.Equal(993 + 993 + 331, log.SizeInBytes);
        Assert.Equal(LogReadStatus.OffsetOutOfRange, (await log.ReadAsync(0, 1000, Cancellation)).Status);
        LogAssert.SameBatches(batches[6..], await LogAssert.ReadAllAsync(log, 60));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Reopening_after_dispose_gives_the_same_log(string backend)
    {
        var batches = Enumerable.Range(1, 25).Select(i => TestBatches.Create(i % 5 + 1, valueBytes: 40, timestamp: i)).ToList();
        long size;
        await using (var log = await OpenAsync(backend, "orders", 1, SmallSegments))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }

            size = log.SizeInBytes;
        }

        await using var reopened = await OpenAsync(backend, "orders", 2, SmallSegments);
        var appended = TestBatches.Create(3);
        var next = reopened.NextOffset;
        Assert.Equal(next, await reopened.AppendAsync(appended, Cancellation));

        Assert.Equal(batches.Sum(TestBatches.RecordCount), next);
        Assert.Equal(size + appended.Length, reopened.SizeInBytes);
        LogAssert.SameBatches([.. batches, appended], await LogAssert.ReadAllAsync(reopened, 0));
        Assert.Equal(TestBatches.BaseOffset(batches[10]), await reopened.FindOffsetByTimestampAsync(11, Cancellation));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Wait_for_data_completes_when_an_append_moves_the_high_watermark_past_the_offset(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default);
        await log.AppendAsync(TestBatches.Create(2), Cancellation);
        var waiters = Enumerable.Range(0, 100).Select(_ => log.WaitForDataAsync(2, Cancellation)).ToList();
        var further = log.WaitForDataAsync(4, Cancellation);

        Assert.True(log.WaitForDataAsync(1, Cancellation).IsCompleted);
        Assert.DoesNotContain(waiters, waiter => waiter.IsCompleted);
        await log.AppendAsync(TestBatches.Create(2), Cancellation);
        await Task.WhenAll(waiters);

        Assert.False(further.IsCompleted);
        await log.AppendAsync(TestBatches.Create(1), Cancellation);
        await further;
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Wait_for_data_stops_when_its_token_is_cancelled(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default);
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            var waiter = log.WaitForDataAsync(0, cancellation.Token);
            Assert.False(waiter.IsCompleted);
            await cancellation.CancelAsync();
            await waiter;
        });
    }

    [Fact]
    public async Task Group_commit_writes_many_concurrent_appends_with_far_fewer_flushes_and_acks_them_in_order()
    {
        await using var log = await OpenAsync(TestStores.File, "orders", 1, LogConfig.Default);
        const int Appends = 1000;
        var tasks = new Task<long>[Appends];
        var outOfOrder = 0;
        for (var i = 0; i < Appends; i++)
        {
            tasks[i] = log.AppendAsync(TestBatches.Create(2), Cancellation).AsTask();
        }

        // Acks complete in offset order: when one completes, the one before it already has.
        var checks = tasks.Skip(1).Select((task, i) => task.ContinueWith(
            _ =>
            {
                if (!tasks[i].IsCompletedSuccessfully)
                {
                    Interlocked.Increment(ref outOfOrder);
                }
            },
            Cancellation,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default));
        var offsets = await Task.WhenAll(tasks);
        await Task.WhenAll(checks);

        Assert.Equal(Enumerable.Range(0, Appends).Select(i => i * 2L), offsets);
        Assert.Equal(0, outOfOrder);
        Assert.Equal(2 * Appends, log.HighWatermark);
        var flushes = ((PartitionLog)log).FlushCount;
        Assert.InRange(flushes, 1, Appends / 10);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Without_flush_on_commit_appends_are_acknowledged_unflushed_and_flushed_on_dispose(string backend)
    {
        var log = await OpenAsync(backend, "orders", 1, LogConfig.Default with { FlushOnCommit = false });
        await log.AppendAsync(TestBatches.Create(2), Cancellation);
        Assert.Equal(0, ((PartitionLog)log).FlushCount);

        await log.DisposeAsync();

        Assert.Equal(1, ((PartitionLog)log).FlushCount);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_newer_epoch_fences_the_old_writer_and_nothing_of_its_append_reaches_the_log(string backend)
    {
        // Two stores on one data directory: two silos of an in-process cluster.
        var first = TestBatches.Create(2);
        await using var old = await OpenHoldingAsync(backend, 1, first);
        Assert.False(old.IsFenced);

        await using var current = await OpenAsync(backend, "orders", 2, LogConfig.Default);
        Assert.True(old.IsFenced);
        Assert.False(current.IsFenced);
        var stale = await Assert.ThrowsAsync<StaleEpochException>(async () => await old.AppendAsync(TestBatches.Create(3), Cancellation));
        await Assert.ThrowsAsync<StaleEpochException>(async () => await old.AppendAsync(TestBatches.Create(3), Cancellation));
        await Assert.ThrowsAsync<StaleEpochException>(async () => await old.EnforceRetentionAsync(Cancellation));
        var second = TestBatches.Create(1);
        await current.AppendAsync(second, Cancellation);

        Assert.Equal((1, 2), (stale.Epoch, stale.CurrentEpoch));
        LogAssert.SameBatches([first, second], await LogAssert.ReadAllAsync(current, 0));
        await using var reopened = await OpenAsync(backend, "orders", 3, LogConfig.Default);
        LogAssert.SameBatches([first, second], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_stale_writer_that_closes_after_the_new_owner_leaves_the_owners_records_in_place(string backend)
    {
        var first = TestBatches.Create(2);
        var second = TestBatches.Create(1);
        await using var old = await OpenHoldingAsync(backend, 1, first);
        await using (await OpenHoldingAsync(backend, 2, second))
        {
        }

        // Direct I/O cuts its padding off on close: the stale writer's idea of the file's end is older than the file.
        await old.DisposeAsync();

        await using var reopened = await OpenAsync(backend, "orders", 3, LogConfig.Default);
        LogAssert.SameBatches([first, second], await LogAssert.ReadAllAsync(reopened, 0));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Opening_with_an_equal_or_lower_epoch_throws_stale_epoch(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 5, LogConfig.Default);

        var equal = await Assert.ThrowsAsync<StaleEpochException>(async () => await OpenAsync(backend, "orders", 5, LogConfig.Default));
        await Assert.ThrowsAsync<StaleEpochException>(async () => await OpenAsync(backend, "orders", 4, LogConfig.Default));
        await log.AppendAsync(TestBatches.Create(1), Cancellation);

        Assert.Equal(5, equal.CurrentEpoch);
    }

    [Fact]
    public async Task After_a_restart_the_epoch_file_still_refuses_lower_epochs()
    {
        await using (await OpenAsync(TestStores.File, "orders", 7, LogConfig.Default))
        {
        }

        // Another path to the same directory misses this process's fences, as a restarted process would.
        var link = Path.Combine(_stores.DataDirectory, "restarted");
        Directory.CreateSymbolicLink(link, _stores.DataDirectory);
        var restarted = new FileLogStore(new FileLogStoreOptions { DataDirectory = link }, _stores.Time);

        await Assert.ThrowsAsync<StaleEpochException>(async () => await restarted.OpenAsync(new LogPartition("orders", 0), 7, LogConfig.Default, Cancellation));
        await using var log = await restarted.OpenAsync(new LogPartition("orders", 0), 8, LogConfig.Default, Cancellation);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Appends_after_dispose_throw_object_disposed(string backend)
    {
        var log = await OpenAsync(backend, "orders", 1, LogConfig.Default);
        var pending = log.AppendAsync(TestBatches.Create(1), Cancellation);
        await log.DisposeAsync();

        Assert.Equal(0, await pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await log.AppendAsync(TestBatches.Create(1), Cancellation));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_invalid_batch_is_refused_and_changes_nothing(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default);
        var corrupt = TestBatches.Create(3);
        corrupt[^1] ^= 1;

        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(corrupt, Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(TestBatches.Create(3).AsMemory(0, 70), Cancellation));

        Assert.Equal((0L, 0L, 0L), (log.NextOffset, log.HighWatermark, log.SizeInBytes));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_validated_batch_appends_as_its_bytes_would_and_is_still_held_to_the_logs_batch_size_and_an_empty_one_is_refused(string backend)
    {
        await using var log = await OpenAsync(backend, "orders", 1, LogConfig.Default with { MaxBatchBytes = 200 });
        var small = TestBatches.Create(3);
        var large = TestBatches.Create(5, valueBytes: 40);
        Assert.Equal(BatchStatus.Valid, RecordBatchValidator.Validate(small.AsMemory(), int.MaxValue, out var validSmall));
        Assert.Equal(BatchStatus.Valid, RecordBatchValidator.Validate(large.AsMemory(), int.MaxValue, out var validLarge));

        var first = await log.AppendAsync(validSmall, Cancellation);
        var second = await log.AppendAsync(TestBatches.Create(2), Cancellation);
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(validLarge, Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync(default(ValidatedBatch), Cancellation));

        Assert.Equal((0L, 3L, 5L), (first, second, log.HighWatermark));
        Assert.Equal(small, (await LogAssert.ReadAllAsync(log, 0))[0]);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Delete_removes_the_log_and_a_later_open_starts_empty(string backend)
    {
        var log = await OpenAsync(backend, "orders", 3, SmallSegments);
        for (var i = 0; i < 20; i++)
        {
            await log.AppendAsync(TestBatches.Create(5, valueBytes: 50), Cancellation);
        }

        await log.DeleteAsync(Cancellation);

        if (TestStores.IsFile(backend))
        {
            Assert.False(Directory.Exists(_stores.LogDirectory(new LogPartition("orders", 0))));
        }

        await using var recreated = await OpenAsync(backend, "orders", 1, SmallSegments);
        Assert.Equal((0L, 0L, 0L), (recreated.LogStartOffset, recreated.HighWatermark, recreated.SizeInBytes));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await log.AppendAsync(TestBatches.Create(1), Cancellation));
    }

    [Fact]
    public async Task A_log_switches_between_direct_IO_and_the_page_cache_from_one_open_to_the_next()
    {
        var batches = Enumerable.Range(0, 24).Select(i => TestBatches.Create(3, valueBytes: 20, timestamp: i)).ToList();
        string[] backends = [TestStores.FileDirect, TestStores.File, TestStores.FileDirect];
        for (var open = 0; open < backends.Length; open++)
        {
            await using var log = await OpenAsync(backends[open], "orders", open + 1, SmallSegments);
            foreach (var batch in batches.Skip(8 * open).Take(8))
            {
                await log.AppendAsync(batch, Cancellation);
            }

            LogAssert.SameBatches(batches.Take(8 * (open + 1)).ToList(), await LogAssert.ReadAllAsync(log, 0));
        }
    }

    [Fact]
    public async Task A_missing_or_damaged_index_of_a_sealed_segment_is_rebuilt()
    {
        var partition = new LogPartition("orders", 0);
        var batches = Enumerable.Range(0, 30).Select(i => TestBatches.Create(3, valueBytes: 20, timestamp: i)).ToList();
        await using (var log = await OpenAsync(TestStores.File, "orders", 1, SmallSegments))
        {
            foreach (var batch in batches)
            {
                await log.AppendAsync(batch, Cancellation);
            }
        }

        var indexes = Directory.GetFiles(_stores.LogDirectory(partition), "*.index").Order().ToList();
        var original = indexes.Select(File.ReadAllBytes).ToList();
        Assert.True(indexes.Count >= 3);
        Assert.Contains(original, index => index.Length > 0);
        File.Delete(indexes[0]);
        await File.WriteAllBytesAsync(indexes[1], [.. original[1].Reverse()], Cancellation);
        await File.WriteAllBytesAsync(indexes[2], original[2].AsSpan(0, original[2].Length - 3).ToArray(), Cancellation);

        await using var reopened = await OpenAsync(TestStores.File, "orders", 2, SmallSegments);

        Assert.Equal(original, indexes.Select(File.ReadAllBytes));
        LogAssert.SameBatches(batches, await LogAssert.ReadAllAsync(reopened, 0, maxBytes: 1));
        Assert.Equal(3 * 17, await reopened.FindOffsetByTimestampAsync(17, Cancellation));
    }

    private async Task<IPartitionLog> OpenAsync(string backend, string topic, int epoch, LogConfig config) =>
        await _stores.Store(backend).OpenAsync(new LogPartition(topic, 0), epoch, config, Cancellation);

    /// <summary>Opens the "orders" log at <paramref name="epoch"/> and appends <paramref name="batches"/>.</summary>
    private async Task<IPartitionLog> OpenHoldingAsync(string backend, int epoch, params byte[][] batches)
    {
        var log = await OpenAsync(backend, "orders", epoch, LogConfig.Default);
        foreach (var batch in batches)
        {
            await log.AppendAsync(batch, Cancellation);
        }

        return log;
    }

    private static IReadOnlyList<Segment> Segments(IPartitionLog log) => ((PartitionLog)log).Segments;
}
