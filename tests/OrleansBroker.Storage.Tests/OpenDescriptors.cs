namespace OrleansBroker.Storage.Tests;

/// <summary>This process's open descriptors, as <c>/proc/self/fd</c> lists them (Linux).</summary>
internal static class OpenDescriptors
{
    /// <summary>Each open descriptor: its link under <c>/proc/self/fd</c> and the path it stands for.</summary>
    public static IEnumerable<(string Link, string Target)> All()
    {
        foreach (var link in Directory.GetFiles("/proc/self/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(link).LinkTarget;
            }
            catch (IOException)
            {
                // Closed while listed (the listing's own descriptor, for one).
                target = null;
            }

            if (target is not null)
            {
                yield return (link, target);
            }
        }
    }

    /// <summary>How many descriptors this process holds open on <paramref name="path"/>.</summary>
    public static int On(string path)
    {
        var fullPath = Path.GetFullPath(path);
        return All().Count(descriptor => descriptor.Target == fullPath);
    }
}
