using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SessionMesh.Client;

/// <summary>
/// Runs one registered agent in the host's lifecycle. The run starts once every hosted service has
/// started (the Orleans client is connected, whatever the registration order) and is wound down
/// before any hosted service stops (the client is still connected while the outcome is reported).
/// </summary>
internal sealed partial class AgentHostService(string name, Func<IServiceProvider, SessionMeshAgent> create, IServiceProvider services) : IHostedLifecycleService, IAsyncDisposable
{
    private AgentRun? _run;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptionsMonitor<SessionMeshAgentOptions>>().Get(name);
        var agent = create(services);
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(agent.GetType());
        var run = new AgentRun(options, agent, services.GetRequiredService<IGrainFactory>(), services.GetService<TimeProvider>() ?? TimeProvider.System, logger);
        await run.StartAsync(cancellationToken);
        _run = run;
        if (options.StopApplicationWhenFinished)
        {
            var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
            _ = run.Completion.ContinueWith(_ => lifetime.StopApplication(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_run is not { } run)
        {
            return;
        }

        run.Stop(AgentStopReason.HostStopping);
        try
        {
            await run.Completion.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogShutdownTimeout(services.GetService<ILogger<AgentHostService>>() ?? NullLogger<AgentHostService>.Instance, name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_run is not null)
        {
            await _run.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent registration {Name}: the host stopped waiting before the outcome was reported.")]
    private static partial void LogShutdownTimeout(ILogger logger, string name);
}
