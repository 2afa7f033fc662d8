using SessionMesh.Agents;
using SessionMesh.Sessions;

namespace SessionMesh.Client;

/// <summary>One run of a hosted agent, as its work sees it.</summary>
public sealed class AgentContext
{
    private readonly DirectiveFeed _directives;
    private readonly Func<AgentStopReason> _stopReason;

    internal AgentContext(string agentId, long epoch, SessionSnapshot session, DirectiveFeed directives, Func<AgentStopReason> stopReason, SessionManager sessions, AgentMesh mesh)
    {
        AgentId = agentId;
        Epoch = epoch;
        Session = session;
        _directives = directives;
        _stopReason = stopReason;
        Sessions = sessions;
        Mesh = mesh;
    }

    /// <summary>The agent's id.</summary>
    public string AgentId { get; }

    /// <summary>The agent's fencing epoch for this run (a kill moves it on).</summary>
    public long Epoch { get; }

    /// <summary>The session this run works on.</summary>
    public Guid SessionId => Session.Id;

    /// <summary>The session as it was when the run started (its context, purpose, lineage).</summary>
    public SessionSnapshot Session { get; }

    /// <summary>Why the stopping token was cancelled; <see cref="AgentStopReason.None"/> while the work may go on.</summary>
    public AgentStopReason StopReason => _stopReason();

    /// <summary>
    /// The agent's steer directives, oldest first, each once: those left unacknowledged by earlier
    /// runs, then each new one as it is pushed. A directive is acknowledged to the mesh once it has
    /// been handed out here; directives nobody reads stay unacknowledged. Kill directives are not
    /// listed: they cancel the stopping token. The sequence ends when the work is stopped.
    /// Read it from one place at a time.
    /// </summary>
    public IAsyncEnumerable<Directive> Directives => _directives.ReadAsync();

    /// <summary>The session facade (handoff, lineage, spawn).</summary>
    public SessionManager Sessions { get; }

    /// <summary>The agent facade (steer other agents, discover).</summary>
    public AgentMesh Mesh { get; }

    /// <summary>
    /// Hands this run's session off to <paramref name="toAgent"/> and returns the child session's id.
    /// The session is then HandedOff, and stays so whatever the work does afterwards.
    /// </summary>
    public Task<Guid> HandoffAsync(string toAgent, SessionContext updatedContext, string? purpose = null, CancellationToken cancellationToken = default) =>
        Sessions.HandoffAsync(SessionId, toAgent, updatedContext, purpose, cancellationToken);
}
