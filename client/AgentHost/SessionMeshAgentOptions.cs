using Microsoft.Extensions.Options;
using SessionMesh.Errors;
using SessionMesh.Liveness;
using SessionMesh.Sessions;

namespace SessionMesh.Client;

/// <summary>
/// Who a hosted agent is and how it runs: the same settings as <c>session-mesh run</c>. Set them in
/// the delegate given to <see cref="SessionMeshAgentExtensions.AddSessionMeshAgent{TAgent}"/>, or bind
/// them with the returned options builder (<c>.BindConfiguration("Agents:CodeGen")</c>).
/// </summary>
public sealed class SessionMeshAgentOptions
{
    /// <summary>The agent's id in the mesh (required). A killed id never runs again.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The specialization the agent is registered under (required; registering again is a no-op).</summary>
    public string Specialization { get; set; } = string.Empty;

    /// <summary>The agent's display name and the spawned session's agent name; the specialization when not set.</summary>
    public string? AgentName { get; set; }

    /// <summary>What the spawned session is for.</summary>
    public string? Purpose { get; set; }

    /// <summary>The spawned session's context (issue, phase, worktree, earlier results).</summary>
    public SessionContext Context { get; set; } = new();

    /// <summary>Run this existing Active session (e.g. a handoff's child) instead of spawning one.</summary>
    public Guid? SessionId { get; set; }

    /// <summary>The agent and session lease TTL; both are heartbeaten every TTL/3.</summary>
    public TimeSpan LeaseTtl { get; set; } = LivenessShards.DefaultTtl;

    /// <summary>How long the work may take to return once its token is cancelled (kill or host stop) before the outcome is reported without it.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the directive subscription is renewed, the backlog re-read (a push lost on the way is
    /// delivered then) and the agent checked for a kill. The agent forgets a subscription after a minute.
    /// </summary>
    public TimeSpan SubscriptionRenewal { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop the host once the work has ended and its outcome is reported (one agent process, one host). Set false to host several agents.</summary>
    public bool StopApplicationWhenFinished { get; set; } = true;
}

/// <summary>Checks <see cref="SessionMeshAgentOptions"/> when the host starts, naming the bad setting.</summary>
internal sealed class SessionMeshAgentOptionsValidator : IValidateOptions<SessionMeshAgentOptions>
{
    private static readonly TimeSpan MaxGrace = TimeSpan.FromHours(1);
    private static readonly TimeSpan MinRenewal = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRenewal = TimeSpan.FromSeconds(50);

    public ValidateOptionsResult Validate(string? name, SessionMeshAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(failures, () => Errors.Validate.Id(nameof(options.AgentId), options.AgentId));
        Check(failures, () => Errors.Validate.Id(nameof(options.Specialization), options.Specialization));
        if (options.AgentName is not null)
        {
            Check(failures, () => Errors.Validate.Name(nameof(options.AgentName), options.AgentName));
        }

        Check(failures, () => Errors.Validate.Text(nameof(options.Purpose), options.Purpose));
        Check(failures, () => Errors.Validate.Context(nameof(options.Context), options.Context));
        Check(failures, () => LivenessShards.ValidateTtl(options.LeaseTtl), nameof(options.LeaseTtl));
        if (options.Grace < TimeSpan.Zero || options.Grace > MaxGrace)
        {
            failures.Add($"{nameof(options.Grace)} must be from 0 to 1 hour (got {options.Grace}).");
        }

        if (options.SubscriptionRenewal < MinRenewal || options.SubscriptionRenewal > MaxRenewal)
        {
            failures.Add($"{nameof(options.SubscriptionRenewal)} must be from 0.1 to 50 seconds: the agent forgets a subscription after a minute (got {options.SubscriptionRenewal}).");
        }

        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures.Select(f => $"SessionMeshAgentOptions '{name}': {f}"));
    }

    private static void Check(List<string> failures, Action check, string? field = null)
    {
        try
        {
            check();
        }
        catch (InvalidInputException ex)
        {
            failures.Add(field is null ? ex.Message : $"{field}: {ex.Problem}");
        }
    }
}
