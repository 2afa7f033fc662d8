using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using SessionMesh.Client.Tls;
using SessionMesh.Silo.Security;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Tls;

/// <summary>
/// Silos talk to each other only over the mesh's mutual TLS: two silos with the mesh's silo
/// certificate form a cluster (membership pings and the membership table travel over the silo
/// port), and a silo holding another CA's certificate cannot join it.
/// </summary>
[Trait("Category", "Tls")]
public sealed class SiloToSiloTlsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Two_silos_with_the_mesh_certificate_form_a_cluster_and_a_silo_of_another_CA_cannot_join()
    {
        var mesh = Directory.CreateTempSubdirectory("sessionmesh-s2s-").FullName;
        MeshCertificateAuthority.EnsureCreated(mesh);
        var primaryPort = HttpSiloPorts.Free();
        using var primary = await StartSiloAsync(mesh, primaryPort, primaryPort);
        using var secondary = await StartSiloAsync(mesh, HttpSiloPorts.Free(), primaryPort);

        var management = primary.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var until = DateTime.UtcNow + Bound;
        while ((await management.GetHosts(onlyActive: true)).Count < 2 && DateTime.UtcNow < until)
        {
            await Task.Delay(200);
        }

        Assert.Equal(2, (await management.GetHosts(onlyActive: true)).Count);

        var stranger = Directory.CreateTempSubdirectory("sessionmesh-s2s-other-").FullName;
        MeshCertificateAuthority.EnsureCreated(stranger);
        using var intruder = BuildSilo(stranger, HttpSiloPorts.Free(), primaryPort);
        await Assert.ThrowsAnyAsync<Exception>(() => intruder.StartAsync().WaitAsync(Bound));

        var hosts = await management.GetHosts(onlyActive: true);
        Assert.Equal(2, hosts.Count);

        await secondary.StopAsync();
        await primary.StopAsync();
    }

    private static async Task<IHost> StartSiloAsync(string tlsDirectory, int siloPort, int primaryPort)
    {
        var host = BuildSilo(tlsDirectory, siloPort, primaryPort);
        await host.StartAsync().WaitAsync(Bound);
        return host;
    }

    private static IHost BuildSilo(string tlsDirectory, int siloPort, int primaryPort)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, HttpSiloPorts.Free(), new IPEndPoint(IPAddress.Loopback, primaryPort));
            // A stranger should give up joining well inside the test's bound.
            silo.Configure<ClusterMembershipOptions>(o => o.MaxJoinAttemptTime = TimeSpan.FromSeconds(20));
            silo.UseMeshTls(MeshTlsCredentials.Load(tlsDirectory, MeshPeerRole.Silo));
        });
        return builder.Build();
    }
}
