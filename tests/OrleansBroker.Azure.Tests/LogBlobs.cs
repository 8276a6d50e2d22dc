using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using OrleansBroker.Storage;

namespace OrleansBroker.Azure.Tests;

/// <summary>The blobs a partition log keeps in its container, as tests list and name them.</summary>
internal static class LogBlobs
{
    /// <summary>The names of the blobs under a partition's folder, without the folder, in order.</summary>
    public static List<string> Names(BlobContainerClient container, LogPartition partition)
    {
        var folder = partition + "/";
        return [.. container.GetBlobs(BlobTraits.None, BlobStates.None, folder, TestContext.Current.CancellationToken).Select(blob => blob.Name[folder.Length..]).Order(StringComparer.Ordinal)];
    }

    /// <summary>The name of a segment's blob (<c>log</c>) or of its index (<c>index</c>).</summary>
    public static string Segment(long baseOffset, string extension = "log") =>
        string.Create(CultureInfo.InvariantCulture, $"{baseOffset:D20}.{extension}");
}
