using System.Diagnostics.CodeAnalysis;
using Azure.Storage.Blobs;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// The storage account the tests use: <c>OBROKER_AZURITE</c> (a connection string, set by .ci/run) or
/// Azurite's default. Without it the tests skip locally, and fail in CI, where .ci/run starts Azurite.
/// </summary>
internal static class Azurite
{
    public const string Variable = "OBROKER_AZURITE";

    // Azurite's well-known development account.
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<string?> Unreachable = new(Probe);

    public static string ConnectionString
    {
        get
        {
            var connectionString = Configured;
            if (Unreachable.Value is { } reason)
            {
                Unavailable($"Azure Storage is unreachable ({Variable}={connectionString}): {reason}. Start Azurite (see README) or run .ci/run.");
            }

            return connectionString;
        }
    }

    /// <summary>The connection string of an Azurite blob service on a loopback port other than its default.</summary>
    public static string BlobServiceOnPort(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";

    /// <summary>Skips the test, or fails it in CI, where everything a test needs is installed.</summary>
    [DoesNotReturn]
    public static void Unavailable(string message)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
    }

    private static string Configured =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured ? configured : "UseDevelopmentStorage=true";

    private static string? Probe()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(3);
        try
        {
            new BlobServiceClient(Configured, options).GetProperties();
            return null;
        }
        catch (Exception failure) when (failure is global::Azure.RequestFailedException or AggregateException or InvalidOperationException or TaskCanceledException)
        {
            return failure.Message;
        }
    }
}
