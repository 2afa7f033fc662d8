namespace SessionMesh.Sessions;

/// <summary>
/// What one agent produced, carried forward to the sessions after it in
/// <see cref="SessionContext.PreviousResults"/>. (How a result looks in JSON — a "type" naming its
/// kind — is the HTTP edge's business: see the silo's ApiJson.)
/// </summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.agent-result")]
public abstract record AgentResult;

/// <summary>The result of analysing an issue.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.agent-result.issue-analysis")]
public sealed record IssueAnalysisResult(
    [property: Id(0)] string Complexity,
    [property: Id(1)] TimeSpan EstimatedDuration) : AgentResult;

/// <summary>The tasks an issue was split into. Equal when the task lists are equal, item by item.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.agent-result.task-decomposition")]
public sealed record TaskDecompositionResult(
    [property: Id(0)] IReadOnlyList<string> Tasks) : AgentResult
{
    public bool Equals(TaskDecompositionResult? other) =>
        other is not null && Tasks.SequenceEqual(other.Tasks, StringComparer.Ordinal);

    public override int GetHashCode() =>
        Tasks.Aggregate(Tasks.Count, (hash, task) => HashCode.Combine(hash, StringComparer.Ordinal.GetHashCode(task)));
}

/// <summary>The outcome of generating code.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.agent-result.code-generation")]
public sealed record CodeGenerationResult(
    [property: Id(0)] double Confidence,
    [property: Id(1)] int SuccessfulWorlds) : AgentResult;

/// <summary>The outcome of a review.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.agent-result.review")]
public sealed record ReviewResult(
    [property: Id(0)] double QualityScore,
    [property: Id(1)] int IssuesFound) : AgentResult;

/// <summary>Any other result: a name and a JSON document.</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.agent-result.generic")]
public sealed record GenericResult(
    [property: Id(0)] string Name,
    [property: Id(1)] string JsonPayload) : AgentResult;
