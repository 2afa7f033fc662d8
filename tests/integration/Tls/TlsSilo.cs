using Microsoft.AspNetCore.Builder;
using SessionMesh.Silo.Hosting;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Tls;

/// <summary>
/// The embedded silo exactly as `dotnet run --project silo` starts it (SiloApp, so with mutual TLS
/// on its Orleans ports), on free loopback ports with a fresh data directory.
/// </summary>
public sealed class TlsSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsSilo(WebApplication app, string dataDirectory, string url, int siloPort, int gatewayPort)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Url = url;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        Admin = new HttpClient { BaseAddress = new Uri(url) };
        Admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", HttpSilo.AdminKey);
    }

    public string DataDirectory { get; }

    public string TlsDirectory => Path.Combine(DataDirectory, "tls");

    public string Url { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>The HTTP API with the admin key: how tests look at stored state without the gateway.</summary>
    public HttpClient Admin { get; }

    /// <summary>Starts a silo; <paramref name="dataDirectory"/> may already exist (to test what start does to it).</summary>
    public static async Task<TlsSilo> StartAsync(string? dataDirectory = null)
    {
        dataDirectory ??= Path.Combine(Directory.CreateTempSubdirectory("sessionmesh-tls-").FullName, "data");
        var url = $"http://127.0.0.1:{HttpSiloPorts.Free()}";
        var siloPort = HttpSiloPorts.Free();
        var gatewayPort = HttpSiloPorts.Free();
        var app = SiloApp.Create(
        [
            $"--SessionMesh:DataDirectory={dataDirectory}",
            $"--SessionMesh:HttpUrl={url}",
            $"--SessionMesh:SiloPort={siloPort}",
            $"--SessionMesh:GatewayPort={gatewayPort}",
            $"--SessionMesh:AdminKey={HttpSilo.AdminKey}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        return new TlsSilo(app, dataDirectory, url, siloPort, gatewayPort);
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One TLS silo shared by the gateway tests.</summary>
public sealed class TlsSiloFixture : IAsyncLifetime
{
    private TlsSilo? _silo;

    public TlsSilo Silo => _silo ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _silo = await TlsSilo.StartAsync();

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TlsSiloCollection : ICollectionFixture<TlsSiloFixture>
{
    public const string Name = "tls silo";
}
