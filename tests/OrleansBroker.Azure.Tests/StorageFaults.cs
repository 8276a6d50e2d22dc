using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using OrleansBroker.Storage;
using Request = Azure.Core.Request;

namespace OrleansBroker.Azure.Tests;

/// <summary>
/// Injects faults into a store's blob client at the last step of the SDK pipeline, the transport, so the SDK's
/// retry policy sees them as it would see the network's and every attempt it makes passes through here. Requests
/// not matched by a rule go to Azurite unchanged.
/// </summary>
internal sealed class StorageFaults : HttpPipelineTransport, IDisposable
{
    private readonly HttpClientTransport _inner = new();
    private readonly List<Rule> _rules = [];
    private readonly ConcurrentQueue<BlobRequest> _seen = new();

    /// <summary>Every request that reached this transport (every attempt), in order.</summary>
    public IReadOnlyCollection<BlobRequest> Seen => _seen;

    /// <summary>Applies <paramref name="fault"/> to the next <paramref name="times"/> requests that match.</summary>
    public void Inject(Func<BlobRequest, bool> match, Fault fault, int times = 1)
    {
        lock (_rules)
        {
            _rules.Add(new Rule(match, fault, times, null));
        }
    }

    /// <summary>
    /// Holds the next request that matches before it is sent, until the returned gate opens: a barrier that lets a
    /// test run something else between two storage calls of a store.
    /// </summary>
    public Gate Hold(Func<BlobRequest, bool> match)
    {
        var gate = new Gate();
        lock (_rules)
        {
            _rules.Add(new Rule(match, Fault.None, 1, gate));
        }

        return gate;
    }

    /// <summary>How many rules still wait for a request to fault or hold.</summary>
    public int Unused
    {
        get
        {
            lock (_rules)
            {
                return _rules.Count;
            }
        }
    }

    /// <summary>Drops the rules not used up: from now on requests reach Azurite unchanged, as when storage is back.</summary>
    public void Clear()
    {
        lock (_rules)
        {
            _rules.Clear();
        }
    }

    /// <summary>
    /// Routes a store's blob requests through these faults, with short retry delays so that faults the SDK retries cost a
    /// test little time.
    /// </summary>
    public void Apply(AzureBlobLogStoreOptions options)
    {
        options.ClientOptions.Transport = this;
        options.ClientOptions.Retry.Delay = TimeSpan.FromMilliseconds(50);
    }

    /// <summary>How many requests that match reached this transport (faulted or not).</summary>
    public int Count(Func<BlobRequest, bool> match) => _seen.Count(match);

    public override Request CreateRequest() => _inner.CreateRequest();

    public override void Process(HttpMessage message)
    {
        var rule = Arrive(message);
        rule?.Gate?.Wait(message.CancellationToken);
        if (Refuse(message, rule?.Fault))
        {
            return;
        }

        _inner.Process(message);
        LoseResponse(message, rule?.Fault);
    }

    public override async ValueTask ProcessAsync(HttpMessage message)
    {
        var rule = Arrive(message);
        if (rule?.Gate is { } gate)
        {
            await gate.WaitAsync(message.CancellationToken);
        }

        if (Refuse(message, rule?.Fault))
        {
            return;
        }

        await _inner.ProcessAsync(message);
        LoseResponse(message, rule?.Fault);
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>
    /// Applies a fault that keeps the request from the service: returns true when the request is answered here, throws
    /// when the connection fails, and times out when no answer comes.
    /// </summary>
    private static bool Refuse(HttpMessage message, Fault? fault)
    {
        switch (fault)
        {
            case Fault.ServerBusy:
                message.Response = new ErrorResponse(503, "ServerBusy", message.Request.ClientRequestId);
                return true;
            case Fault.InternalError:
                message.Response = new ErrorResponse(500, "InternalError", message.Request.ClientRequestId);
                return true;
            case Fault.ConnectionRefused:
                // What HttpClientTransport throws when the connection fails: status 0, which the SDK retries.
                throw new RequestFailedException("Connection refused (injected).", new HttpRequestException("Connection refused (injected)."));
            case Fault.Timeout:
                TimeOut(message);
                return true;
            default:
                return false;
        }
    }

    /// <summary>After the service answered: drops the answer, as a reset connection or a timeout.</summary>
    private static void LoseResponse(HttpMessage message, Fault? fault)
    {
        if (fault is not (Fault.ResponseLost or Fault.TimeoutAfterSend))
        {
            return;
        }

        message.Response.Dispose();
        if (fault == Fault.ResponseLost)
        {
            throw new RequestFailedException("The connection was reset after the request was sent (injected).", new IOException("Connection reset (injected)."));
        }

        TimeOut(message);
    }

    /// <summary>Blocks until the SDK's network timeout (its token is the message's at this point of the pipeline) and throws as it does.</summary>
    private static void TimeOut(HttpMessage message)
    {
        message.CancellationToken.WaitHandle.WaitOne();
        message.CancellationToken.ThrowIfCancellationRequested();
    }

    private Rule? Arrive(HttpMessage message)
    {
        var request = BlobRequest.Of(message.Request);
        _seen.Enqueue(request);
        var rule = Take(request);
        rule?.Gate?.Reached.TrySetResult();
        return rule;
    }

    private Rule? Take(BlobRequest request)
    {
        lock (_rules)
        {
            var index = _rules.FindIndex(rule => rule.Match(request));
            if (index < 0)
            {
                return null;
            }

            var rule = _rules[index];
            if (--rule.Remaining == 0)
            {
                _rules.RemoveAt(index);
            }

            return rule;
        }
    }

    private sealed class Rule(Func<BlobRequest, bool> match, Fault fault, int times, Gate? gate)
    {
        public Func<BlobRequest, bool> Match { get; } = match;

        public Fault Fault { get; } = fault;

        public Gate? Gate { get; } = gate;

        public int Remaining { get; set; } = times;
    }

    /// <summary>A response the service never sent: an error with Azure Storage's headers and body.</summary>
    private sealed class ErrorResponse : Response
    {
        private readonly Dictionary<string, string> _headers;

        public ErrorResponse(int status, string errorCode, string clientRequestId)
        {
            Status = status;
            ClientRequestId = clientRequestId;
            _headers = new(StringComparer.OrdinalIgnoreCase) { ["x-ms-error-code"] = errorCode, ["Content-Type"] = "application/xml" };
            ContentStream = new MemoryStream(Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{errorCode}</Code><Message>Injected fault.</Message></Error>"));
        }

        public override int Status { get; }

        public override string ReasonPhrase => "Injected";

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; }

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => _headers.ContainsKey(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => _headers.Select(header => new HttpHeader(header.Key, header.Value));

        protected override bool TryGetHeader(string name, out string value) => _headers.TryGetValue(name, out value!);

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            var found = _headers.TryGetValue(name, out var value);
            values = found ? [value!] : [];
            return found;
        }
    }
}

/// <summary>What a blob request does, as far as the tests tell requests apart.</summary>
internal sealed record BlobRequest(RequestMethod Method, string Path, string Query, string? LeaseAction, string? BlobType)
{
    /// <summary>An append of a block to an append blob.</summary>
    public bool IsAppendBlock => Method == RequestMethod.Put && Has("comp=appendblock");

    /// <summary>The upload of a partition's <c>leader-epoch</c> blob.</summary>
    public bool IsEpochWrite => Method == RequestMethod.Put && Path.EndsWith("/leader-epoch", StringComparison.Ordinal) && !Has("comp=");

    /// <summary>A write of a blob's metadata (a roll record or a cut torn tail on a segment).</summary>
    public bool IsMetadataWrite => Method == RequestMethod.Put && Has("comp=metadata");

    /// <summary>The deletion of a blob: a segment or an index by retention, any blob of a deleted log.</summary>
    public bool IsDelete => Method == RequestMethod.Delete;

    /// <summary>The creation of an append blob (a segment).</summary>
    public bool IsSegmentCreate => Method == RequestMethod.Put && BlobType == "AppendBlob" && !Has("comp=");

    public bool IsLease(string action) => Has("comp=lease") && string.Equals(LeaseAction, action, StringComparison.OrdinalIgnoreCase);

    public static BlobRequest Of(Request request)
    {
        request.Headers.TryGetValue("x-ms-lease-action", out var leaseAction);
        request.Headers.TryGetValue("x-ms-blob-type", out var blobType);
        return new BlobRequest(request.Method, request.Uri.Path, request.Uri.Query, leaseAction, blobType);
    }

    private bool Has(string parameter) => Query.Contains(parameter, StringComparison.Ordinal);
}

/// <summary>What happens to a request that matches a rule of <see cref="StorageFaults"/>.</summary>
public enum Fault
{
    /// <summary>Sent unchanged.</summary>
    None,

    /// <summary>Answered 503 ServerBusy without reaching the service.</summary>
    ServerBusy,

    /// <summary>Answered 500 InternalError without reaching the service.</summary>
    InternalError,

    /// <summary>The connection fails before the request is sent.</summary>
    ConnectionRefused,

    /// <summary>No answer until the SDK's network timeout; the request never reaches the service.</summary>
    Timeout,

    /// <summary>The request reaches the service and is carried out, then the connection drops before the answer.</summary>
    ResponseLost,

    /// <summary>The request reaches the service and is carried out, then no answer comes until the SDK's network timeout.</summary>
    TimeoutAfterSend,
}

/// <summary>A request held by <see cref="StorageFaults.Hold"/>.</summary>
internal sealed class Gate
{
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the held request arrives.</summary>
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _opened.TrySetResult();

    [SuppressMessage("Usage", "VSTHRD002:Avoid problematic synchronous waits", Justification = "The SDK's synchronous calls block in the transport by design.")]
    public void Wait(CancellationToken cancellationToken) => _opened.Task.Wait(cancellationToken);

    public Task WaitAsync(CancellationToken cancellationToken) => _opened.Task.WaitAsync(cancellationToken);
}
