namespace SessionMesh.Logs;

/// <summary>
/// The output of one session (keyed by the session id), kept by the mesh up to a size cap: each
/// append is stored as one chunk, and past the cap the oldest chunks are dropped. Nothing is ever
/// rewritten, so an append costs the same however long the session has run.
/// </summary>
[Alias("sessionmesh.session-log")]
public interface ISessionLogGrain : IGrainWithGuidKey
{
    /// <summary>Appends a batch of lines (at most <see cref="SessionLogLimits.MaxBatchLines"/>); returns the sequence of the last one.</summary>
    [Alias("append")]
    Task<long> AppendAsync(IReadOnlyList<LogEntry> lines, CancellationToken cancellationToken = default);

    /// <summary>The last <paramref name="count"/> lines still kept, oldest first.</summary>
    [Alias("tail")]
    Task<IReadOnlyList<LogLine>> TailAsync(int count, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> kept lines after a sequence number, oldest first.</summary>
    [Alias("read-after")]
    Task<IReadOnlyList<LogLine>> ReadAfterAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Pushes every appended batch to <paramref name="observer"/> until unsubscribed (re-subscribe within a minute).</summary>
    [Alias("subscribe")]
    Task SubscribeAsync(ISessionLogObserver observer, CancellationToken cancellationToken = default);

    /// <summary>Stops pushing to <paramref name="observer"/>.</summary>
    [Alias("unsubscribe")]
    Task UnsubscribeAsync(ISessionLogObserver observer, CancellationToken cancellationToken = default);
}

/// <summary>Receives lines as they are appended to a session's log (for follow).</summary>
[Alias("sessionmesh.session-log-observer")]
public interface ISessionLogObserver : IGrainObserver
{
    /// <summary>A batch of new lines, in order.</summary>
    [Alias("on-lines")]
    Task OnLinesAsync(IReadOnlyList<LogLine> lines);
}

/// <summary>Limits of session logs.</summary>
public static class SessionLogLimits
{
    /// <summary>Bytes of text kept per session; older chunks are dropped beyond it.</summary>
    public const int MaxBytesPerSession = 1024 * 1024;

    /// <summary>Lines in one append.</summary>
    public const int MaxBatchLines = 1000;

    /// <summary>Characters of one line; longer lines are cut.</summary>
    public const int MaxLineLength = 8192;
}
