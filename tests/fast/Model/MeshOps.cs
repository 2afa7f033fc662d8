using FsCheck;
using FsCheck.Fluent;

namespace SessionMesh.Tests.Model;

/// <summary>
/// One operation of a random sequence. Sessions and agents are named by index: a session index
/// picks among the sessions the sequence has made so far, an agent index among a small fixed pool
/// (so a sequence with ops removed by shrinking still means something).
/// </summary>
public abstract record MeshOp;

public sealed record SpawnOp(int Agent) : MeshOp;

public sealed record HandoffOp(int Session) : MeshOp;

public sealed record CompleteOp(int Session) : MeshOp;

public sealed record FailOp(int Session) : MeshOp;

public sealed record RegisterOp(int Agent) : MeshOp;

public sealed record SteerOp(int Agent) : MeshOp;

public sealed record AcknowledgeOp(int Agent) : MeshOp;

public sealed record KillOp(int Agent, bool Force, bool Cascade) : MeshOp;

/// <summary>A session heartbeat: the session's lease starts, or is renewed.</summary>
public sealed record HeartbeatOp(int Session) : MeshOp;

/// <summary>The silos' clock moves past every lease's TTL: each leased Active session runs out.</summary>
public sealed record ExpireLeasesOp : MeshOp;

/// <summary>The inner operation with its request cancelled after a few milliseconds.</summary>
public sealed record CancelledOp(MeshOp Inner, int AfterMs) : MeshOp;

/// <summary>The inner operation while every update of grain state is refused by a real SQL trigger.</summary>
public sealed record FaultedOp(MeshOp Inner) : MeshOp;

/// <summary>A forced kill of an agent racing a handoff of its session to a child run by the same agent.</summary>
public sealed record KillVsHandoffOp(int Agent) : MeshOp;

/// <summary>A silo (not the primary) is killed and a new one started.</summary>
public sealed record RestartSiloOp : MeshOp;

/// <summary>Generators and shrinking for operation sequences.</summary>
public static class MeshOps
{
    public const int AgentPool = 3;

    /// <summary>Which kinds of operation a property draws.</summary>
    [Flags]
    public enum Mix
    {
        Lifecycle = 1,
        Agents = 2,
        GracefulKill = 4,
        Leases = 8,
        Cancellation = 16,
        Faults = 32,
        Races = 64,
        SiloRestarts = 128,
        All = Lifecycle | Agents | GracefulKill | Leases | Cancellation | Faults | Races | SiloRestarts,
    }

    public static Arbitrary<MeshOp[]> Sequences(Mix mix, int maxLength, int shrinkBudget)
    {
        var gen = Gen.Choose(1, maxLength).SelectMany(n => Gen.ArrayOf(Op(mix), n));
        var shrinks = 0;
        return Arb.From(gen, ops => Interlocked.Increment(ref shrinks) > shrinkBudget ? [] : Shrink(ops));
    }

    private static Gen<MeshOp> Op(Mix mix)
    {
        var session = Gen.Choose(0, 15);
        var agent = Gen.Choose(0, AgentPool - 1);
        var plain = new List<(int, Gen<MeshOp>)>
        {
            (6, Gen.Choose(-1, AgentPool - 1).Select(a => (MeshOp)new SpawnOp(a))),
            (4, session.Select(s => (MeshOp)new HandoffOp(s))),
            (2, session.Select(s => (MeshOp)new CompleteOp(s))),
            (2, session.Select(s => (MeshOp)new FailOp(s))),
        };
        if (mix.HasFlag(Mix.Agents))
        {
            plain.Add((4, agent.Select(a => (MeshOp)new RegisterOp(a))));
            plain.Add((3, agent.Select(a => (MeshOp)new SteerOp(a))));
            plain.Add((2, agent.Select(a => (MeshOp)new AcknowledgeOp(a))));
            plain.Add((2, Gen.Zip(agent, Gen.Elements(true, false)).Select(x => (MeshOp)new KillOp(x.Item1, true, x.Item2))));
        }

        if (mix.HasFlag(Mix.GracefulKill))
        {
            plain.Add((2, Gen.Zip(agent, Gen.Elements(true, false)).Select(x => (MeshOp)new KillOp(x.Item1, false, x.Item2))));
        }

        if (mix.HasFlag(Mix.Leases))
        {
            plain.Add((2, session.Select(s => (MeshOp)new HeartbeatOp(s))));
        }

        var plainGen = Gen.Frequency(plain.ToArray());
        var all = new List<(int, Gen<MeshOp>)> { (20, plainGen) };
        if (mix.HasFlag(Mix.Cancellation))
        {
            all.Add((2, Gen.Zip(plainGen, Gen.Choose(0, 15)).Select(x => (MeshOp)new CancelledOp(x.Item1, x.Item2))));
        }

        if (mix.HasFlag(Mix.Faults))
        {
            all.Add((2, plainGen.Select(o => (MeshOp)new FaultedOp(o))));
        }

        if (mix.HasFlag(Mix.Races))
        {
            all.Add((5, agent.Select(a => (MeshOp)new KillVsHandoffOp(a))));
        }

        if (mix.HasFlag(Mix.Leases))
        {
            all.Add((1, Gen.Constant((MeshOp)new ExpireLeasesOp())));
        }

        if (mix.HasFlag(Mix.SiloRestarts))
        {
            all.Add((1, Gen.Constant((MeshOp)new RestartSiloOp())));
        }

        return Gen.Frequency(all.ToArray());
    }

    /// <summary>Shorter sequences first (halves, then each single op removed), then wrappers unwrapped.</summary>
    private static IEnumerable<MeshOp[]> Shrink(MeshOp[] ops)
    {
        if (ops.Length > 1)
        {
            yield return ops[..(ops.Length / 2)];
            yield return ops[(ops.Length / 2)..];
        }

        for (var i = 0; i < ops.Length; i++)
        {
            yield return [.. ops[..i], .. ops[(i + 1)..]];
        }

        for (var i = 0; i < ops.Length; i++)
        {
            if (ops[i] is CancelledOp { Inner: var c })
            {
                yield return [.. ops[..i], c, .. ops[(i + 1)..]];
            }
            else if (ops[i] is FaultedOp { Inner: var f })
            {
                yield return [.. ops[..i], f, .. ops[(i + 1)..]];
            }
        }
    }
}
