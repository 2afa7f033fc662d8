using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using SessionMesh.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SessionMesh.Tests.Model;

/// <summary>
/// Randomized model-based tests: FsCheck draws operation sequences, <see cref="MeshModelRunner"/>
/// runs each against a real cluster (real SQLite) beside a reference model, and the audit runs
/// after every sequence. A failure is shrunk to a short sequence and reported with its seed.
/// CI runs a bounded number (SESSION_MESH_MODEL_RUNS, SESSION_MESH_MODEL_SILO_RUNS raise it: bench/soak.sh);
/// SESSION_MESH_MODEL_REPLAY="seed,gamma,size" replays a reported failure's sequences.
/// </summary>
[Trait("Category", "Model")]
public sealed class MeshModelTests(ITestOutputHelper output)
{
    private static int Runs(string variable, int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var runs) && runs > 0 ? runs : ci;

    /// <summary>
    /// Lifecycle, registry, steering, forced kills with and without cascade, leases running out. The
    /// mesh's clock is the model's: leases run out exactly when the model moves it past them.
    /// </summary>
    [Fact]
    public Task Sequences_of_mesh_operations_match_the_reference_model_and_leave_the_audit_clean() =>
        CheckAsync(MeshOps.Mix.Lifecycle | MeshOps.Mix.Agents | MeshOps.Mix.Leases, Runs("SESSION_MESH_MODEL_RUNS", 25), silos: 1);

    /// <summary>
    /// Graceful kills (1 s grace) among the rest: whether acknowledged or run out, the kill must finish —
    /// registry, sessions, cascade. Regression for issue 9.1 (half-done graceful kill), whose shrunk
    /// counterexample was <c>[Register 1; Kill 1 graceful, no cascade]</c>: after the grace period the
    /// agent was Killed but its registry entry still said Draining.
    /// </summary>
    [Fact]
    public Task Sequences_with_graceful_kills_finish_every_kill() =>
        CheckAsync(MeshOps.Mix.Lifecycle | MeshOps.Mix.Agents | MeshOps.Mix.GracefulKill | MeshOps.Mix.Leases, Runs("SESSION_MESH_MODEL_RUNS", 15), silos: 1);

    /// <summary>
    /// Requests cancelled mid-flight and grain-state writes refused by a real SQL trigger: nothing half-done.
    /// Regression for issue 9.4 (orphaned handoff), whose shrunk counterexample was
    /// <c>[Spawn; Faulted(Handoff)]</c>: the child was stored, the parent could not record it and the
    /// retraction was refused too, leaving an orphaned child.
    /// </summary>
    [Fact]
    public Task Sequences_with_cancelled_requests_and_storage_faults_leave_nothing_half_done() =>
        CheckAsync(MeshOps.Mix.Lifecycle | MeshOps.Mix.Agents | MeshOps.Mix.Cancellation | MeshOps.Mix.Faults, Runs("SESSION_MESH_MODEL_RUNS", 25), silos: 1);

    /// <summary>
    /// A forced kill racing a handoff to a child run by the same agent: no call may hang, nothing may stay
    /// Active. Regression for issue 9.2 (kill-vs-handoff deadlock), where KillAsync timed out after 30 s
    /// on the cycle agent → session.Fail, session → child.StartChild, child → agent.AttachSession.
    /// </summary>
    [Fact]
    public Task Kills_racing_handoffs_neither_hang_nor_leave_sessions_active() =>
        CheckAsync(MeshOps.Mix.Lifecycle | MeshOps.Mix.Agents | MeshOps.Mix.Races, Runs("SESSION_MESH_MODEL_RUNS", 15), silos: 1);

    /// <summary>Sequences in a two-silo cluster where a silo is killed and a new one started between operations.</summary>
    [Fact]
    public Task Sequences_across_a_silo_killed_and_restarted_leave_the_audit_clean() =>
        CheckAsync(MeshOps.Mix.Lifecycle | MeshOps.Mix.Agents | MeshOps.Mix.Leases | MeshOps.Mix.SiloRestarts, Runs("SESSION_MESH_MODEL_SILO_RUNS", 4), silos: 2);

    private async Task CheckAsync(MeshOps.Mix mix, int runs, short silos)
    {
        var clock = new SteppingClock();
        await using var mesh = await MeshCluster.StartAsync(silos: silos, clock: clock);
        var sequence = 0;
        var operations = 0;
        var started = DateTime.UtcNow;
        var property = Prop.ForAll(MeshOps.Sequences(mix, maxLength: 20, shrinkBudget: 40), (MeshOp[] ops) =>
        {
            Interlocked.Add(ref operations, ops.Length);
            var runner = new MeshModelRunner(mesh, clock, Interlocked.Increment(ref sequence));

            // FsCheck runs properties synchronously; the sequence runs on a pool thread, off xunit's context.
            Task.Run(() => runner.RunAsync(ops)).GetAwaiter().GetResult();
        });

        var config = Config.QuickThrowOnFailure.WithMaxTest(runs).WithQuietOnSuccess(true);
        if (Environment.GetEnvironmentVariable("SESSION_MESH_MODEL_REPLAY") is { Length: > 0 } replay)
        {
            // "seed,gamma,size" as FsCheck prints them for a failure: the same sequences again.
            var parts = replay.Split(',', StringSplitOptions.TrimEntries);
            config = config.WithReplay(new Replay(new Rnd(ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture)),
                parts.Length > 2 ? FSharpOption<int>.Some(int.Parse(parts[2], CultureInfo.InvariantCulture)) : FSharpOption<int>.None));
        }

        await Task.Run(() => Check.One(config, property));
        output.WriteLine($"MODEL {mix}: {sequence} sequences, {operations} operations, 0 violations, {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
    }
}
