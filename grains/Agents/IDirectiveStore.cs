using SessionMesh.Agents;

namespace SessionMesh.Grains.Agents;

/// <summary>
/// Directives in their own rows keyed (agent, sequence), so a steer writes one row and one small agent
/// state whatever the agent's history. The agent grain is the only writer of its rows.
/// </summary>
public interface IDirectiveStore
{
    /// <summary>Writes a directive's row (replacing a row of the same sequence left by a steer whose state write failed).</summary>
    Task AppendAsync(string agentId, Directive directive, CancellationToken cancellationToken);

    /// <summary>Directives with <paramref name="afterSequence"/> &lt; sequence ≤ <paramref name="throughSequence"/>, oldest first.</summary>
    Task<IReadOnlyList<Directive>> ReadAsync(string agentId, long afterSequence, long throughSequence, int limit, CancellationToken cancellationToken);

    /// <summary>Removes the rows up to and including <paramref name="throughSequence"/> (acknowledged and no longer retained).</summary>
    Task CompactAsync(string agentId, long throughSequence, CancellationToken cancellationToken);
}
