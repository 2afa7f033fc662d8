using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SessionMesh.Tests.Http;

/// <summary>Framing and header faults: a 4xx (a problem body wherever the request reaches the app), never a 500.</summary>
[Trait("Category", "Http")]
[Collection(HttpSiloCollection.Name)]
public sealed class TransportEdgeTests(HttpSiloFixture fixture)
{
    private HttpSilo Silo => fixture.Silo;

    [Fact]
    public async Task A_chunk_size_that_overflows_is_a_4xx_not_a_500()
    {
        var response = await RawAsync(
            "POST /api/session-mesh/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + HttpSilo.AdminKey + "\r\n" +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n");
        Assert.Matches(@"^HTTP/1\.1 4\d\d ", response);
    }

    [Fact]
    public async Task A_non_ascii_authorization_header_is_a_401_with_a_bearer_challenge()
    {
        var response = await RawAsync("GET /api/session-mesh/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer smk_caf\u00e9\u00e9\u00e9_\u2603\r\nConnection: close\r\n\r\n", Encoding.UTF8);
        Assert.StartsWith("HTTP/1.1 401 ", response, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Bearer", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_utf16_body_is_a_415_and_changes_nothing()
    {
        using var stats = await Silo.Admin.GetAsync("/api/session-mesh/stats");
        var before = await stats.Content.ReadAsStringAsync();
        using var content = new StringContent("""{"agent_name": "Utf16"}""", Encoding.Unicode, "application/json");
        using var response = await Silo.Admin.PostAsync("/api/session-mesh/sessions", content);
        var problem = await HttpSilo.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("utf-16", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        using var after = await Silo.Admin.GetAsync("/api/session-mesh/stats");
        Assert.Equal(before, await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unknown_route_and_a_wrong_method_answer_problem_details()
    {
        using var missing = await Silo.Admin.GetAsync("/api/session-mesh/no-such-thing");
        await HttpSilo.AssertProblemAsync(missing, HttpStatusCode.NotFound);
        using var method = await Silo.Admin.PutAsync("/api/session-mesh/stats", HttpSilo.Json("{}"));
        await HttpSilo.AssertProblemAsync(method, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Oversized_headers_and_urls_are_refused_by_kestrel_with_a_4xx()
    {
        var url = await RawAsync($"GET /api/session-mesh/{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 414 ", url, StringComparison.Ordinal);
        var headers = await RawAsync($"GET /api/session-mesh/stats HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 40_000)}\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 431 ", headers, StringComparison.Ordinal);
        var garbage = await RawAsync("GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 ", garbage, StringComparison.Ordinal);
    }

    private async Task<string> RawAsync(string request, Encoding? encoding = null)
    {
        var uri = new Uri(Silo.BaseUrl);
        using var client = new TcpClient();
        await client.ConnectAsync(uri.Host, uri.Port);
        var stream = client.GetStream();
        await stream.WriteAsync((encoding ?? Encoding.Latin1).GetBytes(request));
        var buffer = new byte[64 * 1024];
        var received = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !BodyComplete(received.ToString()))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // The server may close right after answering a framing fault.
        }

        return received.ToString();
    }

    private static bool BodyComplete(string response)
    {
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = response[..split];
        var length = head.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is null
            ? !head.Contains("chunked", StringComparison.OrdinalIgnoreCase) || response.EndsWith("0\r\n\r\n", StringComparison.Ordinal)
            : response.Length - split - 4 >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
