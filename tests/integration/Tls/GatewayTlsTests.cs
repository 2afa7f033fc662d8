using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SessionMesh.Client;
using SessionMesh.Client.Tls;
using SessionMesh.Sessions;
using SessionMesh.Silo.Security;

namespace SessionMesh.Tests.Tls;

/// <summary>
/// The embedded silo's Orleans ports over real sockets: only a peer with a certificate from the
/// silo's own CA gets through, and the facade client connects with the data directory's certificate.
/// </summary>
[Trait("Category", "Tls")]
[Collection(TlsSiloCollection.Name)]
public sealed class GatewayTlsTests(TlsSiloFixture fixture)
{
    // Only a guard against a hang; every expected failure arrives well before it.
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private TlsSilo Silo => fixture.Silo;

    [Fact]
    public async Task The_facade_client_with_the_data_directory_certificate_spawns_and_reads_sessions()
    {
        using var host = FacadeHost(o =>
        {
            o.GatewayPort = Silo.GatewayPort;
            o.DataDirectory = Silo.DataDirectory;
        });
        await host.StartAsync().WaitAsync(Bound);
        var sessions = host.Services.GetRequiredService<SessionManager>();
        var id = await sessions.SpawnAgentSessionAsync("CodeGenAgent", "over mutual TLS", new SessionContext { IssueNumber = 10 });
        var child = await sessions.HandoffAsync(id, "ReviewAgent", new SessionContext { IssueNumber = 10, CurrentPhase = Phase.Review });
        Assert.Equal([id, child], (await sessions.GetSessionLineageAsync(child)).Select(s => s.Id));

        // The same session, seen through the HTTP API.
        using var response = await Silo.Admin.GetAsync($"/api/session-mesh/sessions/{child}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_plain_Orleans_client_without_a_certificate_can_call_nothing()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            // The silo's real ids and port: only the certificate is missing.
            client.UseLocalhostClustering(Silo.GatewayPort, serviceId: "sessionmesh", clusterId: "sessionmesh");
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        });
        using var host = builder.Build();
        var agentId = $"intruder-{Guid.NewGuid():N}";

        var refused = await CallAsync(host, grains => new AgentMesh(grains).RegisterAsync(agentId, "intrusion"));

        Assert.NotNull(refused);
        await AssertAgentUnknownAsync(agentId);
    }

    [Fact]
    public async Task A_client_whose_certificate_comes_from_another_CA_is_refused_by_the_gateway()
    {
        // The client trusts the silo (it holds the silo's CA certificate), but its own certificate
        // comes from another mesh's CA: the gateway must be the one that says no.
        var other = Directory.CreateTempSubdirectory("sessionmesh-other-ca-").FullName;
        MeshCertificateAuthority.EnsureCreated(other);
        var mixed = Directory.CreateTempSubdirectory("sessionmesh-mixed-").FullName;
        File.Copy(Path.Combine(Silo.TlsDirectory, "ca.crt"), Path.Combine(mixed, "ca.crt"));
        File.Copy(Path.Combine(other, "client.crt"), Path.Combine(mixed, "client.crt"));
        File.Copy(Path.Combine(other, "client.key"), Path.Combine(mixed, "client.key"));
        var agentId = $"intruder-{Guid.NewGuid():N}";

        using var host = FacadeHost(o =>
        {
            o.GatewayPort = Silo.GatewayPort;
            o.TlsDirectory = mixed;
            o.ConnectTimeout = TimeSpan.FromSeconds(3);
        });
        var refused = await CallAsync(host, grains => new AgentMesh(grains).RegisterAsync(agentId, "intrusion"));

        Assert.NotNull(refused);
        await AssertAgentUnknownAsync(agentId);
    }

    [Fact]
    public async Task A_client_of_another_mesh_gets_a_connection_error_naming_what_to_check()
    {
        var other = Directory.CreateTempSubdirectory("sessionmesh-other-ca-").FullName;
        MeshCertificateAuthority.EnsureCreated(other);
        using var host = FacadeHost(o =>
        {
            o.GatewayPort = Silo.GatewayPort;
            o.TlsDirectory = other;
            o.ConnectTimeout = TimeSpan.FromSeconds(3);
        });

        var error = await Assert.ThrowsAsync<SessionMeshConnectionException>(() => host.StartAsync().WaitAsync(Bound));

        Assert.Contains($"127.0.0.1:{Silo.GatewayPort}", error.Message, StringComparison.Ordinal);
        Assert.Contains("is not a mesh silo certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains(other, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_cluster_id_fails_the_start_naming_the_cluster_id()
    {
        using var host = FacadeHost(o =>
        {
            o.GatewayPort = Silo.GatewayPort;
            o.DataDirectory = Silo.DataDirectory;
            o.ClusterId = "not-the-mesh";
            o.ConnectTimeout = TimeSpan.FromSeconds(3);
        });

        var error = await Assert.ThrowsAsync<SessionMeshConnectionException>(() => host.StartAsync().WaitAsync(Bound));

        Assert.Contains("cluster id 'not-the-mesh'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_client_certificate_is_an_error_naming_the_file()
    {
        var empty = Directory.CreateTempSubdirectory("sessionmesh-empty-").FullName;

        var error = Assert.Throws<MeshTlsException>(() => FacadeHost(o => o.DataDirectory = empty));

        Assert.Contains(Path.Combine(empty, "tls"), error.Message, StringComparison.Ordinal);
        Assert.Contains("tls init", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> StrangersToTheSiloPort => new() { "none", "client", "other-ca-silo" };

    [Theory]
    [MemberData(nameof(StrangersToTheSiloPort))]
    public async Task The_silo_port_refuses_any_peer_without_a_mesh_silo_certificate(string presented)
    {
        var other = Directory.CreateTempSubdirectory("sessionmesh-other-ca-").FullName;
        MeshCertificateAuthority.EnsureCreated(other);
        using var certificate = presented switch
        {
            "client" => X509Certificate2.CreateFromPemFile(Path.Combine(Silo.TlsDirectory, "client.crt"), Path.Combine(Silo.TlsDirectory, "client.key")),
            "other-ca-silo" => X509Certificate2.CreateFromPemFile(Path.Combine(other, "silo.crt"), Path.Combine(other, "silo.key")),
            _ => null,
        };

        using var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Silo.TlsDirectory, "ca.crt"));
        Assert.True(await IsRefusedAsync(Silo.SiloPort, certificate, authority), $"the silo port accepted a peer presenting '{presented}'");
    }

    [Fact]
    public async Task The_silo_port_completes_mutual_TLS_with_the_mesh_silo_certificate()
    {
        // The positive control for the refusals above: the same probe with the right certificate.
        using var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(Silo.TlsDirectory, "silo.crt"), Path.Combine(Silo.TlsDirectory, "silo.key"));
        using var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Silo.TlsDirectory, "ca.crt"));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Silo.SiloPort);
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, presented, _, _) => MeshPeerValidation.Check(presented, authority, MeshPeerRole.Silo) is null);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "sessionmesh",
            ClientCertificates = [certificate],
        }).WaitAsync(Bound);

        Assert.True(ssl.IsMutuallyAuthenticated);
        Assert.Equal(SslProtocols.Tls13, ssl.SslProtocol);
    }

    /// <summary>Opens TLS to <paramref name="port"/> presenting <paramref name="certificate"/>: true when the server ends the connection.</summary>
    private static async Task<bool> IsRefusedAsync(int port, X509Certificate2? certificate, X509Certificate2 authority)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        // The probe trusts the silo, so any refusal is the silo's.
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, presented, _, _) => MeshPeerValidation.Check(presented, authority, MeshPeerRole.Silo) is null);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "sessionmesh",
                ClientCertificates = certificate is null ? null : [certificate],
            }).WaitAsync(Bound);

            // TLS 1.3 finishes the client's side before the server judges the client's
            // certificate: the refusal arrives as an alert or a closed connection on the first read.
            var read = await ssl.ReadAsync(new byte[1024]).AsTask().WaitAsync(Bound);
            return read == 0;
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            return true;
        }
    }

    private static IHost FacadeHost(Action<SessionMeshClientOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseSessionMeshClient(configure);
        builder.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        return builder.Build();
    }

    /// <summary>Starts the client and makes one call; returns what stopped it (null: the call went through).</summary>
    private static async Task<Exception?> CallAsync(IHost host, Func<IClusterClient, Task> call)
    {
        try
        {
            await host.StartAsync().WaitAsync(Bound);
            await call(host.Services.GetRequiredService<IClusterClient>()).WaitAsync(Bound);
            return null;
        }
        catch (Exception e) when (e is not TimeoutException || e.Message.Contains("Response did not arrive", StringComparison.Ordinal))
        {
            return e;
        }
    }

    private async Task AssertAgentUnknownAsync(string agentId)
    {
        using var response = await Silo.Admin.GetAsync($"/api/session-mesh/agents/{agentId}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
