using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace OrleansBroker.EndToEnd.Tests;

/// <summary>HTTP requests to a silo's management port, which opens a moment after its gateway.</summary>
internal sealed class ManagementEndpoint(SiloProcess silo) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly HttpClient _http = new()
    {
        BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{silo.ManagementPort}")),
    };

    /// <summary>GETs <paramref name="path"/> until <paramref name="accept"/> holds for the answer, and returns it; fails after a deadline.</summary>
    public async Task<(HttpStatusCode Status, string Body)> GetUntilAsync(string path, Func<HttpStatusCode, string, bool> accept)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var started = Stopwatch.GetTimestamp();
        var last = "no answer";
        while (Stopwatch.GetElapsedTime(started) < Deadline)
        {
            try
            {
                using var response = await _http.GetAsync(path, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (accept(response.StatusCode, body))
                {
                    return (response.StatusCode, body);
                }

                last = $"{(int)response.StatusCode}: {body}";
            }
            catch (HttpRequestException exception)
            {
                // The port is not open yet: a process has no readiness signal of its own, so poll.
                last = exception.Message;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        throw new TimeoutException($"GET {path} did not give the expected answer within {Deadline}; the last was {last}.{Environment.NewLine}{silo.RecentLog}");
    }

    public void Dispose() => _http.Dispose();
}
