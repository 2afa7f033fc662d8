using System.ComponentModel;
using Microsoft.AspNetCore.Mvc;

namespace SessionMesh.Silo.Api;

// Query strings, bound with [AsParameters]. Values are bound as text and parsed by ApiInput, so a
// wrong one is answered by a problem naming it; [WireType] tells OpenAPI what each must parse as.

/// <summary>?limit= of a bounded read.</summary>
public record LimitQuery
{
    [FromQuery(Name = "limit"), WireType(typeof(int), Minimum = 1, Maximum = MeshLimits.MaxPage, Default = "100")]
    [Description("At most this many, 1 to 500 (default 100).")]
    public string? Limit { get; init; }
}

/// <summary>?limit=&amp;cursor= of a keyset-paged listing.</summary>
public record PageQuery : LimitQuery
{
    [FromQuery(Name = "cursor"), Description("The next_cursor of the previous page; none for the first page.")]
    public string? Cursor { get; init; }
}

/// <summary>GET /sessions.</summary>
public sealed record SessionListQuery : PageQuery
{
    [FromQuery(Name = "status"), Description("active (default), handed_off, completed, failed or all.")]
    public string? Status { get; init; }
}

/// <summary>GET /alive.</summary>
public sealed record DiscoverQuery : PageQuery
{
    [FromQuery(Name = "filter"), Description("active (default), alive, stale, stalled or all.")]
    public string? Filter { get; init; }

    [FromQuery(Name = "agent_id"), Description("Only sessions run by this agent.")]
    public string? AgentId { get; init; }

    [FromQuery(Name = "specialization"), Description("Only sessions run by agents of this specialization.")]
    public string? Specialization { get; init; }
}

/// <summary>GET /sessions/{id}/descendants.</summary>
public sealed record DescendantsQuery : PageQuery
{
    [FromQuery(Name = "include"), Description("context: whole sessions instead of summaries.")]
    public string? Include { get; init; }
}

/// <summary>GET /sessions/{id}/lineage.</summary>
public sealed record LineageQuery
{
    [FromQuery(Name = "include"), Description("context: whole sessions instead of summaries.")]
    public string? Include { get; init; }
}

/// <summary>GET /registry/{specialization}/agents.</summary>
public sealed record FindAgentsQuery : LimitQuery
{
    [FromQuery(Name = "filter"), Description("any (default), alive or idle.")]
    public string? Filter { get; init; }

    [FromQuery(Name = "after"), Description("The last agent id of the previous page.")]
    public string? After { get; init; }
}

/// <summary>?after=N of a read that continues after a sequence number.</summary>
public record AfterQuery
{
    [FromQuery(Name = "after"), WireType(typeof(long), Minimum = 0, Default = "0")]
    [Description("Only what came after this sequence number (default 0: from the start).")]
    public string? After { get; init; }
}

/// <summary>GET /agents/{id}/directives.</summary>
public sealed record DirectivesQuery : LimitQuery
{
    [FromQuery(Name = "after"), WireType(typeof(long), Minimum = 0, Default = "0")]
    [Description("Only directives after this sequence number (default 0: from the first).")]
    public string? After { get; init; }
}

/// <summary>DELETE /agents/{id}.</summary>
public sealed record KillQuery
{
    [FromQuery(Name = "force"), WireType(typeof(bool), Default = "false"), Description("true: at once, without waiting for the agent (default false: graceful).")]
    public string? Force { get; init; }

    [FromQuery(Name = "cascade"), WireType(typeof(bool), Default = "true"), Description("Fail the agent's Active sessions too (default true).")]
    public string? Cascade { get; init; }

    [FromQuery(Name = "grace"), Description("Seconds a graceful kill waits for the agent's acknowledgement before it is forced.")]
    public double? Grace { get; init; }
}

/// <summary>DELETE /agents/{id}/heartbeat?epoch=N.</summary>
public sealed record EpochQuery
{
    [FromQuery(Name = "epoch"), WireType(typeof(long)), Description("The agent's current epoch (required).")]
    public string? Epoch { get; init; }
}

/// <summary>GET /sessions/{id}/logs.</summary>
public sealed record LogsQuery : AfterQuery
{
    [FromQuery(Name = "tail"), WireType(typeof(int), Default = "100")]
    [Description("The last N lines (default 100), when no ?after is given.")]
    public string? Tail { get; init; }

    [FromQuery(Name = "follow"), WireType(typeof(bool), Default = "false")]
    [Description("true: server-sent events of the lines, then of each new one until the session ends.")]
    public string? Follow { get; init; }
}
