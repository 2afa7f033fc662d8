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
    public static async Task<T> ReadAsync<T>(HttpContext http)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(http);
        var contentType = http.Request.ContentType;
        if (!IsAcceptable(contentType))
        {
            throw new BadHttpRequestException($"Content type '{contentType}' is not supported; send application/json.", StatusCodes.Status415UnsupportedMediaType);
        }

        var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, http.RequestAborted)
                ?? throw new BadHttpRequestException("The request body must be a JSON object, not null.", StatusCodes.Status400BadRequest);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is { Length: > 0 } path ? $" at {path}" : string.Empty;
            throw new BadHttpRequestException($"The request body is not valid JSON{where}: {FirstSentence(ex.Message)}", StatusCodes.Status400BadRequest, ex);
        }
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
