using System.Collections.Concurrent;
using OrleansBroker.Grains;

namespace OrleansBroker.Client;

/// <summary>Caches each topic's partition count and settings, so records route without a call to the topic.</summary>
internal sealed class TopicMetadataCache(IGrainFactory grainFactory)
{
    private readonly ConcurrentDictionary<string, Task<TopicMetadata>> _topics = new(StringComparer.Ordinal);

    public async Task<TopicMetadata> GetAsync(string topic)
    {
        var task = _topics.GetOrAdd(topic, t => grainFactory.GetGrain<ITopicGrain>(t).GetMetadataAsync());
        try
        {
            return await task;
        }
        catch
        {
            // A failed lookup (unknown topic, broker down) is not cached: the next call asks again.
            _topics.TryRemove(new KeyValuePair<string, Task<TopicMetadata>>(topic, task));
            throw;
        }
    }

    public void Invalidate(string topic) => _topics.TryRemove(topic, out _);
}
