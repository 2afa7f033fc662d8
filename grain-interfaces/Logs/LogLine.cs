namespace SessionMesh.Logs;

/// <summary>One line of a session's output as the runner captured it: when, from which stream, what.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.log-entry")]
public sealed record LogEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Stream,
    [property: Id(2)] string Text);

/// <summary>A stored log line, numbered from 1 in the order the session's log received it.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.log-line")]
public sealed record LogLine(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Stream,
    [property: Id(3)] string Text);
