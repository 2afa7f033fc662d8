using System.Diagnostics;
using System.Globalization;
using SessionMesh.Client;

namespace SessionMesh.Bench;

/// <summary>
/// Steer latency against an agent's history: the first 100 steers of a fresh agent, then the 100 after
/// <c>history</c> more (2 KB messages, the agent acknowledging every 100 as a live process would).
/// A steer writes one directive row and one small agent state, so the two should match.
/// </summary>
internal static class SteerBench
{
    public static async Task RunAsync(AgentMesh agents, int history)
    {
        // Warm the code paths and the database on another agent, so "first" measures steering, not start-up.
        var warmUp = $"steer-warm-up-{Guid.NewGuid():N}";
        await agents.RegisterAsync(warmUp, "bench");
        for (var i = 0; i < 300; i++)
        {
            await agents.SteerAsync(warmUp, "north", "warm-up");
        }

        var agentId = $"steer-bench-{Guid.NewGuid():N}";
        await agents.RegisterAsync(agentId, "bench");
        var message = new string('m', 2048);

        async Task<List<double>> SteerAsync(int count)
        {
            var latencies = new List<double>(count);
            for (var i = 0; i < count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var directive = await agents.SteerAsync(agentId, "north", message);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (directive.Sequence % 100 == 0)
                {
                    await agents.AcknowledgeAsync(agentId, epoch: 1, directive.Sequence);
                }
            }

            latencies.Sort();
            return latencies;
        }

        var first = await SteerAsync(100);
        var watch = Stopwatch.StartNew();
        await SteerAsync(history);
        Console.WriteLine($"  {history} more steers in {watch.Elapsed.TotalSeconds:0.0} s");
        var after = await SteerAsync(100);
        var directives = await agents.GetDirectivesAsync(agentId, afterSequence: 0, limit: 1000);

        Console.WriteLine();
        Console.WriteLine("| steer, 2 KB message, sequential | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| first 100 steers | {Load.Percentile(first, 0.50):0.00} | {Load.Percentile(first, 0.99):0.00} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| 100 steers after {history + 100:N0} directives | {Load.Percentile(after, 0.50):0.00} | {Load.Percentile(after, 0.99):0.00} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"\np50 after / first = {Load.Percentile(after, 0.50) / Load.Percentile(first, 0.50):0.00}x; directives still readable (acknowledged ones compacted): {directives.Count}"));
    }
}
