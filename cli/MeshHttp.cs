using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SessionMesh.Contracts;

namespace SessionMesh.Cli;

/// <summary>
/// Talks to a silo's HTTP API. Transient failures (connection refused or reset, timeouts, 502, 503,
/// 504) are retried with exponential backoff, 3 attempts in all; a request that is not safe to repeat
/// is retried only when it never reached the server (connection refused). 4xx are never retried.
/// </summary>
public sealed class MeshHttp(Uri baseUrl, string? apiKey, bool verbose, TextWriter log) : IDisposable
{
    public const int Attempts = 3;
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);

    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Sends a request and returns its JSON body (null for an empty one); errors become <see cref="CliException"/>.</summary>
    public async Task<JsonElement?> SendAsync(HttpMethod method, string path, object? body, bool safeToRepeat, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            throw new CliException(ExitCodes.Auth, "No session key: set SESSION_API_KEY or pass --api-key.");
        }

        var json = body is null ? null : JsonSerializer.Serialize(body, CliJson.Options);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            var watch = Stopwatch.StartNew();
            if (verbose)
            {
                // The key is never printed.
                log.WriteLine($"> {method} {new Uri(_http.BaseAddress!, path.TrimStart('/'))}{(json is null ? "" : " " + json)}");
            }

            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, cancellationToken);
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken, out var neverSent))
            {
                if (verbose)
                {
                    log.WriteLine($"< {Describe(ex)} after {watch.ElapsedMilliseconds} ms (attempt {attempt}/{Attempts})");
                }

                if (attempt < Attempts && (safeToRepeat || neverSent))
                {
                    await Task.Delay(FirstBackoff * Math.Pow(2, attempt - 1), cancellationToken);
                    continue;
                }

                throw new CliException(ExitCodes.Error, $"Cannot reach {_http.BaseAddress}: {Describe(ex)}.");
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (verbose)
                {
                    log.WriteLine($"< {(int)response.StatusCode} {response.ReasonPhrase} in {watch.ElapsedMilliseconds} ms (attempt {attempt}/{Attempts}) {text}");
                }

                var status = (int)response.StatusCode;
                if (status is 502 or 503 or 504 && attempt < Attempts && safeToRepeat)
                {
                    await Task.Delay(FirstBackoff * Math.Pow(2, attempt - 1), cancellationToken);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new CliException(ExitCode(response.StatusCode), ProblemLine(status, text));
                }

                return text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone();
            }
        }
    }

    public Task<JsonElement?> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, safeToRepeat: true, cancellationToken);

    /// <summary>
    /// Sends, and reads the answer as the wire's record <typeparamref name="T"/> (contracts): for
    /// answers the CLI acts on. What it prints stays the server's JSON as sent.
    /// </summary>
    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, bool safeToRepeat, CancellationToken cancellationToken)
        where T : class =>
        CliJson.Read<T>(await SendAsync(method, path, body, safeToRepeat, cancellationToken)) ?? throw new CliException(ExitCodes.Error, $"{path} answered nothing.");

    /// <inheritdoc cref="SendAsync{T}"/>
    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
        where T : class => SendAsync<T>(HttpMethod.Get, path, null, safeToRepeat: true, cancellationToken);

    /// <summary>
    /// Opens a server-sent event stream (resuming after <paramref name="lastEventId"/> when given) and
    /// returns the response, its body still unread; a refusal becomes <see cref="CliException"/>.
    /// Connection failures are left to the caller, which reconnects.
    /// </summary>
    public async Task<HttpResponseMessage> OpenEventStreamAsync(string path, string? lastEventId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            throw new CliException(ExitCodes.Auth, "No session key: set SESSION_API_KEY or pass --api-key.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        if (verbose)
        {
            log.WriteLine($"> GET {new Uri(_http.BaseAddress!, path.TrimStart('/'))} (event stream{(lastEventId is null ? "" : ", Last-Event-ID " + lastEventId)})");
        }

        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new CliException(ExitCode(response.StatusCode), ProblemLine((int)response.StatusCode, text));
        }
    }

    public void Dispose() => _http.Dispose();

    private static int ExitCode(HttpStatusCode status) => status switch
    {
        HttpStatusCode.NotFound => ExitCodes.NotFound,
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Auth,
        _ => ExitCodes.Error,
    };

    /// <summary>"title: detail" from a problem document, or the status and body when it is not one.</summary>
    private static string ProblemLine(int status, string text)
    {
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            var title = problem.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
            if (title is not null)
            {
                return detail is null ? $"{title} ({status})" : $"{title} ({status}): {detail}";
            }
        }
        catch (JsonException)
        {
        }

        return $"HTTP {status}{(text.Length == 0 ? "" : ": " + (text.Length > 200 ? text[..200] : text))}";
    }

    private static bool IsTransient(Exception ex, CancellationToken cancellationToken, out bool neverSent)
    {
        neverSent = ex is HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } }
            || ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };
        return ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested);
    }

    private static string Describe(Exception ex) => ex switch
    {
        TaskCanceledException => "timed out",
        HttpRequestException { InnerException: SocketException socket } => socket.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.ConnectionReset => "connection reset",
            _ => socket.Message,
        },
        _ => ex.Message,
    };
}

/// <summary>The API's JSON conventions on the client side: snake_case.</summary>
public static class CliJson
{
    /// <summary>The wire's JSON policy, the silo's own (WireJson): for reading answers as the contracts' records.</summary>
    public static readonly JsonSerializerOptions Wire = Create(omitNulls: false);

    /// <summary>The same policy for request bodies: a field not given is left out.</summary>
    public static readonly JsonSerializerOptions Options = Create(omitNulls: true);

    public static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    /// <summary>An answer as the wire's record; null for no answer; a body this CLI cannot read is an error naming it.</summary>
    public static T? Read<T>(JsonElement? json)
        where T : class => json is { } element ? Parse(() => element.Deserialize<T>(Wire)) : null;

    /// <inheritdoc cref="Read{T}(JsonElement?)"/>
    public static T? Read<T>(string json)
        where T : class => Parse(() => JsonSerializer.Deserialize<T>(json, Wire));

    private static T? Parse<T>(Func<T?> read)
    {
        try
        {
            return read();
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Error, $"The mesh answered a {typeof(T).Name} this CLI cannot read ({ex.Message}); is the CLI older than the silo?");
        }
    }

    private static JsonSerializerOptions Create(bool omitNulls)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        WireJson.Configure(options);
        if (omitNulls)
        {
            options.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        }

        return options;
    }
}
