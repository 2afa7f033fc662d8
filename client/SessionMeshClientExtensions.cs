using Microsoft.Extensions.DependencyInjection;

namespace SessionMesh.Client;

/// <summary>Registers the session facade in an app that already has an Orleans client.</summary>
public static class SessionMeshClientExtensions
{
    /// <summary>Registers <see cref="SessionManager"/> and <see cref="AgentMesh"/>.</summary>
    public static IServiceCollection AddSessionManager(this IServiceCollection services) =>
        services
            .AddSingleton(sp => new SessionManager(sp.GetRequiredService<IGrainFactory>()))
            .AddSingleton(sp => new AgentMesh(sp.GetRequiredService<IGrainFactory>()));
}
