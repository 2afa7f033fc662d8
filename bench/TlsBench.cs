using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionMesh.Client;
using SessionMesh.Client.Tls;
using SessionMesh.Silo.Hosting;
using SessionMesh.Silo.Security;

namespace SessionMesh.Bench;

/// <summary>
/// The cost of mutual TLS on the gateway: the same no-op calls and heartbeats, same concurrency and
/// duration, first through a plain gateway, then through one with the mesh's mutual TLS (an
/// embedded silo and its client in this process, talking over loopback sockets).
/// </summary>
internal static class TlsBench
{
    private const int Agents = 1024;

    public static async Task RunAsync(int concurrency, TimeSpan duration)
    {
        Console.WriteLine($"# SessionMesh TLS bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
        // Two rounds, alternating: the first silo of the process also pays for JIT compilation and
        // tiering, so only the second round compares like with like.
        _ = await MeasureAsync(tls: false, concurrency, duration);
        _ = await MeasureAsync(tls: true, concurrency, duration);
        var plain = await MeasureAsync(tls: false, concurrency, duration);
        var secured = await MeasureAsync(tls: true, concurrency, duration);

        Console.WriteLine();
        Console.WriteLine($"| operation (concurrency {concurrency}, {duration.TotalSeconds:0} s) | ops/s | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var row in plain.Concat(secured))
        {
            Console.WriteLine(row.Row);
        }

        Console.WriteLine($"\nTLS / plain: no-op {secured[0].PerSecond / plain[0].PerSecond:P0}, heartbeat {secured[1].PerSecond / plain[1].PerSecond:P0}");
    }

    private static async Task<Result[]> MeasureAsync(bool tls, int concurrency, TimeSpan duration)
    {
        var data = Directory.CreateTempSubdirectory("sessionmesh-tls-bench-").FullName;
        var tlsDirectory = Path.Combine(data, "tls");
        var gatewayPort = FreePort();
        var siloBuilder = Host.CreateApplicationBuilder();
        siloBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        siloBuilder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), gatewayPort, serviceId: "sessionmesh", clusterId: "sessionmesh");
            silo.UseSessionMesh(data);
            if (tls)
            {
                MeshCertificateAuthority.EnsureCreated(tlsDirectory);
                silo.UseMeshTls(MeshTlsCredentials.Load(tlsDirectory, MeshPeerRole.Silo));
            }
        });
        using var siloHost = siloBuilder.Build();
        await siloHost.StartAsync();

        var clientBuilder = Host.CreateApplicationBuilder();
        clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (tls)
        {
            clientBuilder.UseSessionMeshClient(o =>
            {
                o.GatewayPort = gatewayPort;
                o.TlsDirectory = tlsDirectory;
            });
        }
        else
        {
            clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort, serviceId: "sessionmesh", clusterId: "sessionmesh"));
            clientBuilder.Services.AddSessionManager();
        }

        using var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        var grains = clientHost.Services.GetRequiredService<IClusterClient>();
        var agents = clientHost.Services.GetRequiredService<AgentMesh>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Agents), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
            await agents.RegisterAsync($"bench-agent-{i}", "bench", leaseTtl: TimeSpan.FromMinutes(10), cancellationToken: ct));

        var gateway = tls ? "mutual TLS gateway" : "plain gateway";
        await Load.RunAsync("warm-up", concurrency, TimeSpan.FromSeconds(3), i => grains.GetGrain<INoOpGrain>(i % Agents).PingAsync());
        var noop = await Load.RunAsync($"no-op grain call, {gateway}", concurrency, duration, i => grains.GetGrain<INoOpGrain>(i % Agents).PingAsync());
        var beat = await Load.RunAsync($"agent heartbeat, {gateway}", concurrency, duration, i => agents.HeartbeatAgentAsync($"bench-agent-{i % Agents}", epoch: 1));

        await clientHost.StopAsync();
        await siloHost.StopAsync();
        Directory.Delete(data, recursive: true);
        return [noop, beat];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
