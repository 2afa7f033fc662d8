using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SessionMesh.Tests.Cli;

/// <summary>Retries against a real HTTP server on loopback that fails on purpose.</summary>
[Trait("Category", "Cli")]
public sealed class RetryTests
{
    [Fact]
    public async Task A_server_that_fails_twice_then_answers_is_retried_to_success()
    {
        await using var server = await FlakyServer.StartAsync(failures: 2, failureStatus: 503);
        var result = await CliRunner.RunAsync(server.Url, "any-key", "list", "--filter", "alive", "--output", "json", "--verbose");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(3, server.Requests);
        Assert.Contains("attempt 3/3", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Three_failures_give_up_with_an_error()
    {
        await using var server = await FlakyServer.StartAsync(failures: 10, failureStatus: 502);
        var result = await CliRunner.RunAsync(server.Url, "any-key", "stats");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task A_client_error_is_never_retried()
    {
        await using var server = await FlakyServer.StartAsync(failures: 10, failureStatus: 404);
        var result = await CliRunner.RunAsync(server.Url, "any-key", "stats");
        Assert.Equal(3, result.ExitCode);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_request_that_is_not_safe_to_repeat_is_not_retried_after_it_reached_the_server()
    {
        await using var server = await FlakyServer.StartAsync(failures: 10, failureStatus: 503);
        var result = await CliRunner.RunAsync(server.Url, "any-key", "steer", "--agent-id", "123", "--direction", "west");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task A_refused_connection_is_retried_with_backoff_then_reported()
    {
        var port = SessionMesh.Tests.Http.HttpSiloPorts.Free();
        var result = await CliRunner.RunAsync($"http://127.0.0.1:{port}", "any-key", "steer", "--agent-id", "1", "--direction", "up", "--verbose");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("connection refused", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("attempt 3/3", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("attempt 4", result.Stderr, StringComparison.Ordinal);
    }

    private sealed class FlakyServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private FlakyServer(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<FlakyServer> StartAsync(int failures, int failureStatus)
        {
            var url = $"http://127.0.0.1:{SessionMesh.Tests.Http.HttpSiloPorts.Free()}";
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(url);
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new FlakyServer(app, url);
            app.Run(async http =>
            {
                var n = Interlocked.Increment(ref server._requests);
                if (n <= failures)
                {
                    http.Response.StatusCode = failureStatus;
                    return;
                }

                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync("""{"sessions": [], "next_cursor": null}""");
            });
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
