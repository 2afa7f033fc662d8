using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Reads a request body as JSON. Accepted content types: application/json (and +json), none, and
/// application/x-www-form-urlencoded whose body is JSON — what `curl -d '{...}'` sends, as in the
/// skill's documented examples. Anything else is 415; malformed JSON is 400 naming where it broke.
/// </summary>
public static class JsonBody
{
    /// <summary>Binds the body to <typeparamref name="T"/> straight from the stream (one pass, no document).</summary>
    public static Task<T> ReadAsync<T>(HttpContext http)
        where T : class
    {
        var options = Options(http);
        return BindAsync(async () =>
            await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, http.RequestAborted) ?? throw NullBody());
    }

    /// <summary>
    /// Reads the body once as a JSON document (for checks that need to know which properties were
    /// sent at all) and binds it to <typeparamref name="T"/>.
    /// </summary>
    public static Task<(T Body, JsonElement Root)> ReadWithDocumentAsync<T>(HttpContext http, Action<JsonElement>? checkFirst = null)
        where T : class
    {
        var options = Options(http);
        return BindAsync(async () =>
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { MaxDepth = options.MaxDepth }, http.RequestAborted);
            var root = document.RootElement.Clone();
            checkFirst?.Invoke(root);
            return (root.Deserialize<T>(options) ?? throw NullBody(), root);
        });
    }

    /// <summary>The API's serializer options, once the content type and charset are known to be JSON in UTF-8.</summary>
    private static JsonSerializerOptions Options(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var contentType = http.Request.ContentType;
        if (!IsAcceptable(contentType))
        {
            throw new BadHttpRequestException($"Content type '{contentType}' is not supported; send application/json.", StatusCodes.Status415UnsupportedMediaType);
        }

        if (Charset(contentType) is { } charset && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            && !charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            // JSON on the wire is UTF-8 (RFC 8259 §8.1): another charset is refused, never misread.
            throw new BadHttpRequestException($"Charset '{charset}' is not supported; send JSON as UTF-8.", StatusCodes.Status415UnsupportedMediaType);
        }

        return http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
    }

    private static BadHttpRequestException NullBody() =>
        new("The request body must be a JSON object, not null.", StatusCodes.Status400BadRequest);

    /// <summary>Runs a bind and turns what the reader and serializer throw into a 400 that says where and why.</summary>
    private static async Task<TResult> BindAsync<TResult>(Func<Task<TResult>> bind)
    {
        try
        {
            return await bind();
        }
        catch (JsonException ex)
        {
            var where = ex.Path is { Length: > 0 } path ? $" at {path}" : string.Empty;
            throw new BadHttpRequestException($"The request body is not valid JSON{where}: {FirstSentence(ex.Message)}", StatusCodes.Status400BadRequest, ex);
        }
        catch (IOException ex) when (ex is not BadHttpRequestException && ex.InnerException is OverflowException or FormatException)
        {
            // Kestrel's own framing faults (e.g. a chunk size that overflows) surface here as plain IO errors.
            throw new BadHttpRequestException($"The request body is malformed: {ex.Message}", StatusCodes.Status400BadRequest, ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException or OverflowException or FormatException)
        {
            // What the serializer throws for a value it cannot bind (e.g. a number out of range for its type).
            throw new BadHttpRequestException($"The request body does not fit the expected shape: {FirstSentence(ex.Message)}", StatusCodes.Status400BadRequest, ex);
        }
    }

    private static string? Charset(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return null;
        }

        foreach (var parameter in contentType.Split(';').Skip(1))
        {
            var pair = parameter.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length == 2 && pair[0].Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                return pair[1].Trim('"');
            }
        }

        return null;
    }

    private static bool IsAcceptable(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true;
        }

        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
