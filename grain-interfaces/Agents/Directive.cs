namespace SessionMesh.Agents;

/// <summary>What kind of instruction a directive carries.</summary>
[GenerateSerializer, Alias("sessionmesh.directive-kind")]
public enum DirectiveKind
{
    /// <summary>Change direction.</summary>
    Steer = 0,

    /// <summary>Stop: acknowledge, then exit.</summary>
    Kill = 1,
}

/// <summary>One instruction to an agent, numbered in the order it was issued (from 1).</summary>
[GenerateSerializer, Immutable, Alias("sessionmesh.directive")]
public sealed record Directive(
    [property: Id(0)] long Sequence,
    [property: Id(1)] DirectiveKind Kind,
    [property: Id(2)] string Direction,
    [property: Id(3)] string? Message,
    [property: Id(4)] DateTimeOffset IssuedAt);
