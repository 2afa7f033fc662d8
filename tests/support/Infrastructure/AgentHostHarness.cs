using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionMesh.Agents;
using SessionMesh.Client;

namespace SessionMesh.Tests.Infrastructure;

/// <summary>A real generic host running one agent against the test cluster (its client is the host's IGrainFactory).</summary>
public sealed class AgentHostHarness : IAsyncDisposable
{
    /// <summary>Bound for every wait-for-condition: generous, since the machine may be busy.</summary>
    public const double Patience = 60;

    private AgentHostHarness(IHost host) => Host = host;

    public IHost Host { get; }

    public static string NewAgentId() => $"host-agent-{Guid.NewGuid():N}"[..24];

    public static IHost Build(MeshCluster mesh, Action<IServiceCollection> register)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IGrainFactory>(mesh.Client);
        register(builder.Services);
        return builder.Build();
    }

    /// <param name="mesh">The cluster the agent runs against.</param>
    /// <param name="configure">The agent's options.</param>
    /// <param name="work">The agent's work.</param>
    /// <param name="clock">The host's clock (its heartbeat timer, backoffs, grace); the system's if null.</param>
    public static async Task<AgentHostHarness> StartAsync(MeshCluster mesh, Action<SessionMeshAgentOptions> configure, Func<AgentContext, CancellationToken, Task> work, TimeProvider? clock = null)
    {
        var host = Build(mesh, services =>
        {
            if (clock is not null)
            {
                services.AddSingleton(clock);
            }

            services.AddSessionMeshAgent(configure, work);
        });
        await host.StartAsync();
        return new AgentHostHarness(host);
    }

    /// <summary>Waits until the host has stopped itself (the agent's work ended and its outcome was reported).</summary>
    public Task StoppedByItselfAsync() => Host.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(Patience));

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}

/// <summary>What a test agent's work saw: its context, each directive handed to it, and why it was stopped.</summary>
public sealed class WorkProbe
{
    private readonly TaskCompletionSource<AgentContext> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<AgentStopReason> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<Directive> Received { get; } = new();

    public Task<AgentContext> Started => _started.Task.WaitAsync(TimeSpan.FromSeconds(AgentHostHarness.Patience));

    public Task<AgentStopReason> Stopped => _stopped.Task.WaitAsync(TimeSpan.FromSeconds(AgentHostHarness.Patience));

    public IReadOnlyList<long> Sequences => [.. Received.Select(d => d.Sequence)];

    /// <summary>Reads directives until stopped, then returns (or rethrows the cancellation when <paramref name="rethrow"/>).</summary>
    public async Task ReadDirectivesUntilStoppedAsync(AgentContext context, CancellationToken stoppingToken, bool rethrow = false)
    {
        _started.TrySetResult(context);
        try
        {
            await foreach (var directive in context.Directives.WithCancellation(stoppingToken))
            {
                Received.Enqueue(directive);
            }

            // The sequence ends when the work is stopped.
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _stopped.TrySetResult(context.StopReason);
            if (rethrow)
            {
                throw;
            }
        }
    }

    public void Start(AgentContext context) => _started.TrySetResult(context);
}
