using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SessionMesh.Client;

/// <summary>Runs .NET agents under the mesh as hosted services.</summary>
public static class SessionMeshAgentExtensions
{
    /// <summary>
    /// Runs <typeparamref name="TAgent"/> as an agent of the mesh once the host has started (see
    /// <see cref="SessionMeshAgent"/>). Needs an Orleans client (<c>UseSessionMeshClient()</c>, or any
    /// <see cref="IGrainFactory"/>). Options are checked when the host starts.
    /// </summary>
    /// <returns>The agent's options, e.g. to <c>.BindConfiguration("Agents:CodeGen")</c>.</returns>
    public static OptionsBuilder<SessionMeshAgentOptions> AddSessionMeshAgent<TAgent>(this IServiceCollection services, Action<SessionMeshAgentOptions>? configure = null)
        where TAgent : SessionMeshAgent =>
        Add(services, configure, sp => ActivatorUtilities.CreateInstance<TAgent>(sp));

    /// <summary>Runs <paramref name="work"/> as an agent of the mesh once the host has started; see <see cref="AddSessionMeshAgent{TAgent}"/>.</summary>
    public static OptionsBuilder<SessionMeshAgentOptions> AddSessionMeshAgent(this IServiceCollection services, Action<SessionMeshAgentOptions> configure, Func<AgentContext, CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(work);
        return Add(services, configure, _ => new DelegateAgent(work));
    }

    private static OptionsBuilder<SessionMeshAgentOptions> Add(IServiceCollection services, Action<SessionMeshAgentOptions>? configure, Func<IServiceProvider, SessionMeshAgent> create)
    {
        ArgumentNullException.ThrowIfNull(services);

        // Each registration is its own agent with its own named options.
        var name = $"SessionMeshAgent{services.Count(d => d.ServiceType == typeof(AgentRegistration))}";
        services.AddSingleton(new AgentRegistration(name));
        services.AddSessionManager();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionMeshAgentOptions>, SessionMeshAgentOptionsValidator>());
        var options = services.AddOptions<SessionMeshAgentOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();

        // Not AddHostedService: it adds one service per implementation type, and each agent needs its own.
        services.AddSingleton<IHostedService>(sp => new AgentHostService(name, create, sp));
        return options;
    }

    /// <summary>Marks one agent registration (counted to name the next one's options).</summary>
    private sealed record AgentRegistration(string Name);
}
