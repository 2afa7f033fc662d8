using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionMesh.Client;
using SessionMesh.Silo.Hosting;
using SessionMesh.Storage;

namespace SessionMesh.Bench;

/// <summary>One embedded silo (real SQLite in <see cref="DataDirectory"/>) and an Orleans client over the loopback gateway, as an application runs it.</summary>
internal sealed class EmbeddedMesh : IAsyncDisposable
{
    private EmbeddedMesh(string dataDirectory, IHost silo, IHost client)
    {
        DataDirectory = dataDirectory;
        Silo = silo;
        Client = client;
    }

    public string DataDirectory { get; }

    /// <summary>Leaves <see cref="DataDirectory"/> in place on dispose (for a next silo over the same data).</summary>
    public bool KeepData { get; set; }

    public IHost Silo { get; }

    public IHost Client { get; }

    public IClusterClient Grains => Client.Services.GetRequiredService<IClusterClient>();

    public SessionManager Sessions => Client.Services.GetRequiredService<SessionManager>();

    public AgentMesh Agents => Client.Services.GetRequiredService<AgentMesh>();

    public string DatabasePath => Path.Combine(DataDirectory, MeshStorageExtensions.DatabaseFileName);

    public static async Task<EmbeddedMesh> StartAsync(int siloPort, int gatewayPort, string? dataDirectory = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("sessionmesh-bench-").FullName;
        var siloBuilder = Host.CreateApplicationBuilder();
        siloBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        siloBuilder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: siloPort, gatewayPort: gatewayPort);
            silo.UseSessionMesh(dataDirectory);
        });
        var siloHost = siloBuilder.Build();
        await siloHost.StartAsync();

        var clientBuilder = Host.CreateApplicationBuilder();
        clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort: gatewayPort));
        clientBuilder.Services.AddSessionManager();
        var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        return new EmbeddedMesh(dataDirectory, siloHost, clientHost);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.StopAsync();
        Client.Dispose();
        await Silo.StopAsync();
        Silo.Dispose();
        if (!KeepData)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
