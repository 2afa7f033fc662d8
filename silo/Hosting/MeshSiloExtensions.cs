using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionMesh.Grains.Liveness;
using SessionMesh.Topology;

namespace SessionMesh.Silo.Hosting;

/// <summary>Everything a SessionMesh silo needs besides its storage.</summary>
public static class MeshSiloExtensions
{
    /// <summary>The grain storage Orleans streams keep their subscriptions in.</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>A complete embedded SessionMesh silo: SQLite storage in <paramref name="dataDirectory"/>, streams, liveness.</summary>
    public static ISiloBuilder UseSessionMesh(this ISiloBuilder silo, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.UseEmbeddedStorage(dataDirectory);
        silo.AddMemoryStreams(TopologyStream.Provider);
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddHostedService<LivenessKeeper>();
        return silo;
    }
}
