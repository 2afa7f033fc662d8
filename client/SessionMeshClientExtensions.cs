using Microsoft.Extensions.DependencyInjection;

namespace SessionMesh.Client;

/// <summary>Registers the session facade in an app that already has an Orleans client.</summary>
public static class SessionMeshClientExtensions
{
    public static IServiceCollection AddSessionManager(this IServiceCollection services) =>
        services.AddSingleton(sp => new SessionManager(sp.GetRequiredService<IGrainFactory>()));
}
