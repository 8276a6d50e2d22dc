using Orleans.Storage;

namespace OrleansBroker.Grains.Tests.Storage;

public sealed class FileGrainStorageTests : IDisposable
{
    private readonly FileStorageHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Read_of_a_state_never_written_gives_a_fresh_state_without_record_or_etag()
    {
        var storage = _harness.CreateStorage();
        var state = FileStorageHarness.State("stale", 7, eTag: "1-0000000000000000");

        await storage.ReadStateAsync(FileStorageHarness.StateName, FileStorageHarness.Partition("orders/0"), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal("", state.Value().Name);
        Assert.Equal(0, state.Value().Count);
    }

    [Fact]
    public async Task Write_then_read_returns_the_state_and_the_etag_of_the_write()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var written = FileStorageHarness.State("orders", 3);

        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, written);
        var read = FileStorageHarness.State("", 0);
        await storage.ReadStateAsync(FileStorageHarness.StateName, grainId, read);

        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal("orders", read.Value().Name);
        Assert.Equal(3, read.Value().Count);
    }

    [Fact]
    public async Task Each_write_gets_a_new_etag_and_the_next_write_must_present_it()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/1");
        var state = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
        var first = state.ETag;

        state.Value().Count = 2;
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);

        Assert.NotEqual(first, state.ETag);
        var stale = FileStorageHarness.State("orders", 3, first);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(FileStorageHarness.StateName, grainId, stale));
    }

    [Fact]
    public async Task A_new_provider_on_the_same_directory_reads_what_the_old_one_wrote()
    {
        var grainId = FileStorageHarness.Partition("orders/3");
        var written = FileStorageHarness.State("orders", 42);
        await _harness.CreateStorage().WriteStateAsync(FileStorageHarness.StateName, grainId, written);

        var reopened = _harness.CreateStorage();
        var read = FileStorageHarness.State("", 0);
        await reopened.ReadStateAsync(FileStorageHarness.StateName, grainId, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(42, read.Value().Count);
    }

    [Fact]
    public async Task Write_with_a_stale_etag_throws_with_both_etags_and_leaves_the_file_unchanged()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var current = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, current);
        var path = _harness.SingleStateFile();
        var before = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        var stale = FileStorageHarness.State("orders", 2, eTag: "1-ffffffffffffffff");

        var exception = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(FileStorageHarness.StateName, grainId, stale));

        Assert.Equal(current.ETag, exception.StoredEtag);
        Assert.Equal("1-ffffffffffffffff", exception.CurrentEtag);
        Assert.Equal("1-ffffffffffffffff", stale.ETag);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
        Assert.Empty(_harness.Files("*.tmp"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Write_without_an_etag_over_an_existing_state_throws(string? eTag)
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var existing = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, existing);

        var exception = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(FileStorageHarness.StateName, grainId, FileStorageHarness.State("other", 9, eTag)));

        Assert.Equal(existing.ETag, exception.StoredEtag);
        Assert.Null(exception.CurrentEtag);
    }

    [Fact]
    public async Task Write_with_an_etag_to_a_state_that_does_not_exist_throws_and_creates_nothing()
    {
        var storage = _harness.CreateStorage();

        var exception = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(
            FileStorageHarness.StateName, FileStorageHarness.Partition("orders/3"), FileStorageHarness.State("orders", 1, "3-0123456789abcdef")));

        Assert.Null(exception.StoredEtag);
        Assert.Empty(_harness.Files("*.state"));
    }

    [Fact]
    public async Task Clear_then_read_gives_no_record_and_removes_the_file()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var state = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);

        await storage.ClearStateAsync(FileStorageHarness.StateName, grainId, state);
        var read = FileStorageHarness.State("", 0);
        await storage.ReadStateAsync(FileStorageHarness.StateName, grainId, read);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, state.Value().Count);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Empty(_harness.Files("*.state"));
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_throws_and_keeps_the_state()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var state = FileStorageHarness.State("orders", 5);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.ClearStateAsync(FileStorageHarness.StateName, grainId, FileStorageHarness.State("orders", 5)));
        var read = FileStorageHarness.State("", 0);
        await storage.ReadStateAsync(FileStorageHarness.StateName, grainId, read);

        Assert.True(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        Assert.Equal(5, read.Value().Count);
    }

    [Fact]
    public async Task An_etag_read_before_a_clear_does_not_match_the_state_created_after_it()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var first = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, first);
        var staleETag = first.ETag;
        await storage.ClearStateAsync(FileStorageHarness.StateName, grainId, first);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, FileStorageHarness.State("orders", 2));

        var stale = FileStorageHarness.State("orders", 3, staleETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(FileStorageHarness.StateName, grainId, stale));
    }

    [Fact]
    public async Task Keys_with_slashes_unicode_and_great_length_round_trip_and_never_share_a_file()
    {
        var storage = _harness.CreateStorage();
        var longKey = new string('k', 5_000);
        GrainId[] grainIds =
        [
            FileStorageHarness.Partition("orders/3"),
            FileStorageHarness.Partition("orders_3"),
            FileStorageHarness.Partition("orders.3"),
            FileStorageHarness.Partition("ORDERS/3"),
            FileStorageHarness.Partition("../../etc/passwd"),
            FileStorageHarness.Partition("主题/分区-1"),
            FileStorageHarness.Partition("fusée 🚀/0"),
            FileStorageHarness.Partition(longKey),
            FileStorageHarness.Partition(longKey + "x"),
            GrainId.Create("topic", "orders/3"),
        ];

        for (var i = 0; i < grainIds.Length; i++)
        {
            await storage.WriteStateAsync(FileStorageHarness.StateName, grainIds[i], FileStorageHarness.State(grainIds[i].ToString(), i));
        }

        await storage.WriteStateAsync("other", grainIds[0], FileStorageHarness.State("other state name", -1));

        for (var i = 0; i < grainIds.Length; i++)
        {
            var read = FileStorageHarness.State("", 0);
            await storage.ReadStateAsync(FileStorageHarness.StateName, grainIds[i], read);
            Assert.Equal(grainIds[i].ToString(), read.Value().Name);
            Assert.Equal(i, read.Value().Count);
        }

        Assert.Equal(grainIds.Length + 1, _harness.Files("*.state").Length);
        Assert.Empty(Directory.GetDirectories(_harness.Root));
    }

    [Fact]
    public async Task A_torn_temp_file_is_ignored_by_reads_and_replaced_by_the_next_write()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var state = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
        var tempPath = _harness.SingleStateFile() + ".tmp";
        await File.WriteAllBytesAsync(tempPath, [0x4F, 0x42, 0x47], TestContext.Current.CancellationToken);

        var read = FileStorageHarness.State("", 0);
        await storage.ReadStateAsync(FileStorageHarness.StateName, grainId, read);
        read.Value().Count = 2;
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, read);
        var reread = FileStorageHarness.State("", 0);
        await storage.ReadStateAsync(FileStorageHarness.StateName, grainId, reread);

        Assert.False(File.Exists(tempPath));
        Assert.Equal(2, reread.Value().Count);
    }

    [Fact]
    public async Task A_truncated_state_file_fails_the_read_with_an_error_that_names_the_file()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, FileStorageHarness.State("orders", 1));
        var path = _harness.SingleStateFile();
        await using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(file.Length - 3);
        }

        var exception = await Assert.ThrowsAsync<InvalidDataException>(
            () => storage.ReadStateAsync(FileStorageHarness.StateName, grainId, FileStorageHarness.State("", 0)));

        Assert.Contains(path, exception.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_state_file_with_a_flipped_bit_fails_the_read_and_refuses_writes()
    {
        var storage = _harness.CreateStorage();
        var grainId = FileStorageHarness.Partition("orders/3");
        var state = FileStorageHarness.State("orders", 1);
        await storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state);
        var path = _harness.SingleStateFile();
        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        bytes[^6] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);

        var readError = await Assert.ThrowsAsync<InvalidDataException>(
            () => storage.ReadStateAsync(FileStorageHarness.StateName, grainId, FileStorageHarness.State("", 0)));
        await Assert.ThrowsAsync<InvalidDataException>(
            () => storage.WriteStateAsync(FileStorageHarness.StateName, grainId, state));

        Assert.Contains("CRC-32C", readError.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_state_file_copied_over_another_grains_file_is_rejected()
    {
        var storage = _harness.CreateStorage();
        var orders = FileStorageHarness.Partition("orders/3");
        var payments = FileStorageHarness.Partition("payments/3");
        await storage.WriteStateAsync(FileStorageHarness.StateName, orders, FileStorageHarness.State("orders", 1));
        var ordersFile = _harness.SingleStateFile();
        await storage.WriteStateAsync(FileStorageHarness.StateName, payments, FileStorageHarness.State("payments", 1));
        var paymentsFile = Assert.Single(_harness.Files("*.state"), f => f != ordersFile);

        File.Copy(ordersFile, paymentsFile, overwrite: true);

        var exception = await Assert.ThrowsAsync<InvalidDataException>(
            () => storage.ReadStateAsync(FileStorageHarness.StateName, payments, FileStorageHarness.State("", 0)));
        Assert.Contains("another grain", exception.Message, StringComparison.Ordinal);
    }
}
