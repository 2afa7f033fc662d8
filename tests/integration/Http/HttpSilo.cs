using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using SessionMesh.Silo.Hosting;

namespace SessionMesh.Tests.Http;

/// <summary>
/// A real SessionMesh silo — the same host `dotnet run --project silo` starts — listening on free
/// loopback ports with its own data directory, driven over real HTTP.
/// </summary>
public sealed class HttpSilo : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";

    private readonly WebApplication _app;

    private HttpSilo(WebApplication app, string baseUrl, string dataDirectory)
    {
        _app = app;
        BaseUrl = baseUrl;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        Admin = Client(AdminKey);
    }

    public string BaseUrl { get; }

    public string DataDirectory { get; }

    /// <summary>The silo's services (grain factory, key verifier, …) for assertions a user cannot make over HTTP.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>No key.</summary>
    public HttpClient Http { get; }

    /// <summary>The configured admin key.</summary>
    public HttpClient Admin { get; }

    public static async Task<HttpSilo> StartAsync(bool configureAdminKey = true, string? dataDirectory = null)
    {
        var directory = dataDirectory ?? Directory.CreateTempSubdirectory("sessionmesh-http-").FullName;
        for (var attempt = 1; ; attempt++)
        {
            var url = $"http://127.0.0.1:{FreePort()}";
            List<string> args =
            [
                $"--SessionMesh:DataDirectory={directory}",
                $"--SessionMesh:HttpUrl={url}",
                $"--SessionMesh:SiloPort={FreePort()}",
                $"--SessionMesh:GatewayPort={FreePort()}",
                "--Logging:LogLevel:Default=Warning",
            ];
            if (configureAdminKey)
            {
                args.Add($"--SessionMesh:AdminKey={AdminKey}");
            }

            var app = SiloApp.Create([.. args]);
            try
            {
                await app.StartAsync();
                return new HttpSilo(app, url, directory);
            }
            catch (Exception ex) when (attempt < 3 && HttpSiloPorts.IsTaken(ex))
            {
                // A free port is free only when asked: another test's server may take it before this
                // one binds. Start again on other ports.
                await app.DisposeAsync();
            }
        }
    }

    public HttpClient Client(string key, string? fromAddress = null)
    {
        var client = fromAddress is null ? new HttpClient { BaseAddress = new Uri(BaseUrl) } : From(fromAddress);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates a key through the API and returns it.</summary>
    public async Task<string> CreateKeyAsync(string body = """{"ttl": 3600}""")
    {
        using var response = await Admin.PostAsync("/api/session-mesh/keys", Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await ReadAsync(response)).GetProperty("session_key").GetString()!;
    }

    /// <summary>A client whose connections come from another loopback address (e.g. 127.0.0.2): another client as far as per-address limits go.</summary>
    public HttpClient From(string localAddress, bool cookies = false)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = cookies,
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri(BaseUrl) };
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with this status and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static int FreePort() => HttpSiloPorts.Free();
}

/// <summary>Free loopback ports for the servers the tests start.</summary>
public static class HttpSiloPorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether a server failed to start because its port was taken after it was picked (or its output says so).</summary>
    public static bool IsTaken(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>One HTTP silo shared by a test collection.</summary>
public sealed class HttpSiloFixture : IAsyncLifetime
{
    private HttpSilo? _silo;

    public HttpSilo Silo => _silo ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _silo = await HttpSilo.StartAsync();

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HttpSiloCollection : ICollectionFixture<HttpSiloFixture>
{
    public const string Name = "http silo";
}

/// <summary>
/// A silo of its own for tests that compare the whole silo's state before and after a request:
/// on the shared silo, other tests' background effects (a graceful kill's grace running out, a lease
/// expiring) change the counters in between.
/// </summary>
[CollectionDefinition(Name)]
public sealed class QuietHttpSiloCollection : ICollectionFixture<HttpSiloFixture>
{
    public const string Name = "quiet http silo";
}
