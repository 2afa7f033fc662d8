using System.Net;
using Microsoft.Extensions.Options;
using SessionMesh.Silo.Hosting;
using SessionMesh.Storage;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Ops;

/// <summary>Settings are checked before anything starts, and every problem names its setting and where it came from.</summary>
[Trait("Category", "Process")]
public sealed class SettingsTests
{
    [Fact]
    public async Task An_empty_SESSION_MESH_POSTGRES_stops_the_silo_naming_it_and_never_starts_a_SQLite_silo()
    {
        await using var silo = SiloRun.Start(SiloRun.Ports(), new Dictionary<string, string?> { ["SESSION_MESH_POSTGRES"] = "" });

        Assert.Equal(2, await silo.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains(silo.Lines, l => l.Contains("SessionMesh:PostgresConnectionString is empty (from environment SESSION_MESH_POSTGRES)", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(silo.WorkingDirectory, ".sessionmesh", MeshStorageExtensions.DatabaseFileName)));
    }

    [Fact]
    public async Task Cluster_mode_without_a_connection_string_is_an_error()
    {
        await using var silo = SiloRun.Start([.. SiloRun.Ports(), "--SessionMesh:Mode=cluster"]);

        Assert.Equal(2, await silo.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains(silo.Lines, l => l.Contains("SessionMesh:Mode is 'cluster' (from command line --SessionMesh:Mode) but no PostgreSQL connection string is set", StringComparison.Ordinal));
    }

    [Fact]
    public void An_advertised_address_that_does_not_resolve_is_named_with_its_source()
    {
        var error = Assert.Throws<OptionsValidationException>(() => SiloApp.Create(
        [
            .. SiloRun.Ports(),
            "--SessionMesh:PostgresConnectionString=Host=127.0.0.1;Database=sessionmesh",
            "--SessionMesh:AdvertisedAddress=no-such-silo.invalid",
            "--SessionMesh:AdminKey=short",
        ]));

        Assert.Contains("SessionMesh:AdvertisedAddress 'no-such-silo.invalid' is not an IP address or resolvable host name (from command line --SessionMesh:AdvertisedAddress)", error.Failures);
        Assert.Contains("SessionMesh:AdminKey is shorter than 16 characters (from command line --SessionMesh:AdminKey)", error.Failures);
    }

    [Fact]
    public async Task The_urls_switch_wins_over_SessionMesh_HttpUrl()
    {
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";
        var ignored = $"http://127.0.0.1:{HttpSiloPorts.Free()}";
        var directory = Directory.CreateTempSubdirectory("sessionmesh-urls-").FullName;
        var app = SiloApp.Create(
        [
            "--urls", url,
            $"--SessionMesh:HttpUrl={ignored}",
            $"--SessionMesh:DataDirectory={directory}",
            $"--SessionMesh:SiloPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:GatewayPort={HttpSiloPorts.Free()}",
            $"--SessionMesh:AdminKey={HttpSilo.AdminKey}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient();
            using var live = await http.GetAsync(new Uri($"{url}/health/live"));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"{ignored}/health/live")));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
