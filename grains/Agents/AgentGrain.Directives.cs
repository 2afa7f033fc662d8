using Microsoft.Extensions.Logging;
using SessionMesh.Agents;
using SessionMesh.Errors;
using SessionMesh.Grains.Topology;
using SessionMesh.Topology;

namespace SessionMesh.Grains.Agents;

/// <summary>Steering: directives in their own rows (one row and one small state write per steer), acknowledged ones compacted.</summary>
public sealed partial class AgentGrain
{
    public async Task<Directive> SteerAsync(string direction, string? message = null, CancellationToken cancellationToken = default)
    {
        var agent = Current;
        Validate.Name(nameof(direction), direction);
        if (message is not null)
        {
            Validate.Text(nameof(message), message);
        }

        if (agent.Status is AgentStatus.Killed or AgentStatus.Draining)
        {
            throw new InvalidTransitionException($"agent '{Id}'", "steer", agent.Status.ToString());
        }

        if (agent.LastSequence - agent.AcknowledgedThrough >= MeshLimits.MaxUnacknowledgedDirectives)
        {
            throw new DirectiveLimitException(Id, MeshLimits.MaxUnacknowledgedDirectives);
        }

        var now = clock.GetUtcNow();
        var directive = new Directive(agent.LastSequence + 1, DirectiveKind.Steer, direction, message, now);

        // The row first: readers see only sequences up to the state's LastSequence, so a row whose
        // state write then fails is invisible, and the next steer overwrites it.
        await directives.AppendAsync(Id, directive, CancellationToken.None);
        await CommitAsync(agent with { Direction = direction, LastSequence = directive.Sequence, UpdatedAt = now });
        await PushAsync(directive);
        await this.PublishAsync(TopologyEventKind.AgentSteered, Id, direction, now, logger);
        return directive;
    }

    public async Task<IReadOnlyList<Directive>> GetDirectivesAsync(long afterSequence, int limit = 100, CancellationToken cancellationToken = default)
    {
        var agent = Current;
        if (afterSequence < 0)
        {
            throw new InvalidInputException(nameof(afterSequence), $"must not be negative (got {afterSequence}).");
        }

        if (limit is < 1 or > MeshLimits.MaxBatchRead)
        {
            throw new InvalidInputException(nameof(limit), $"must be between 1 and {MeshLimits.MaxBatchRead} (got {limit}).");
        }

        return afterSequence >= agent.LastSequence
            ? []
            : await directives.ReadAsync(Id, afterSequence, agent.LastSequence, limit, cancellationToken);
    }

    public async Task<AgentSnapshot> AcknowledgeAsync(long epoch, long sequence, CancellationToken cancellationToken = default)
    {
        var agent = RequireEpoch(epoch);
        if (sequence < 1 || sequence > agent.LastSequence)
        {
            throw new InvalidInputException(nameof(sequence), $"must be between 1 and the latest directive {agent.LastSequence} (got {sequence}).");
        }

        if (sequence <= agent.AcknowledgedThrough)
        {
            return agent;
        }

        var now = clock.GetUtcNow();
        agent = await CommitAsync(agent with { AcknowledgedThrough = sequence, UpdatedAt = now });
        await CompactAsync(sequence - MeshLimits.RetainedAcknowledgedDirectives);
        var killAcknowledged = agent.Status == AgentStatus.Draining && state.State.KillSequence is > 0 and var kill && kill <= sequence;
        return killAcknowledged ? await FinalizeKillAsync("kill acknowledged", driveNow: true) : agent;
    }

    /// <summary>Drops acknowledged rows beyond the retained window: each acknowledgement deletes only what it made old.</summary>
    private async Task CompactAsync(long throughSequence)
    {
        if (throughSequence < 1)
        {
            return;
        }

        try
        {
            await directives.CompactAsync(Id, throughSequence, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Harmless: the next acknowledgement compacts these rows too.
            LogCompactionFailed(logger, ex, Id);
        }
    }

    /// <summary>Moves directives kept in the state by earlier versions into their rows, once.</summary>
    private async Task MoveLegacyDirectivesAsync(CancellationToken cancellationToken)
    {
        if (state.State.Directives.Count == 0)
        {
            return;
        }

        foreach (var directive in state.State.Directives)
        {
            await directives.AppendAsync(Id, directive, cancellationToken);
        }

        if (state.State.Agent is { Status: AgentStatus.Draining } && state.State.Directives.LastOrDefault(d => d.Kind == DirectiveKind.Kill) is { } kill)
        {
            state.State.KillSequence = kill.Sequence;
        }

        state.State.Directives = [];
        await state.WriteStateAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId}: acknowledged directives could not be compacted; the next acknowledgement retries.")]
    private static partial void LogCompactionFailed(ILogger logger, Exception exception, string agentId);
}
