using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace SessionMesh.Silo.Api;

/// <summary>
/// Serializes every API answer to a buffer before the first byte is sent, so a record that cannot be
/// serialized never yields a 200 cut off mid-JSON. A listing with such a record still answers: the
/// record is replaced by <c>{"unreadable": true, "error": …}</c> and the rest of the page is intact.
/// A single unreadable record is a problem naming it, not a broken body.
/// </summary>
public static partial class BufferedJson
{
    /// <summary>The endpoint filter; add it once to the API group.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var result = await next(context);
        if (result is not (IValueHttpResult { Value: { } value } and IStatusCodeHttpResult status))
        {
            return result;
        }

        var http = context.HttpContext;
        var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var location = result is Microsoft.AspNetCore.Http.HttpResults.Created<SessionResponse> created ? created.Location : null;
        byte[] bytes;
        try
        {
            bytes = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), options);
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or NotSupportedException or ArgumentException or NullReferenceException)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BufferedJson));
            LogUnreadable(logger, ex, http.Request.Method, http.Request.Path);
            var salvaged = Salvage(value, options);
            if (salvaged is null)
            {
                return Results.Problem(statusCode: 500, title: "Unreadable record", detail: "A stored record could not be serialized; it is reported in the silo log.");
            }

            bytes = JsonSerializer.SerializeToUtf8Bytes(salvaged, options);
        }

        return new Buffered(bytes, status.StatusCode ?? 200, location);
    }

    // A page or list: each property and each list item serialized on its own, the failures replaced.
    private static JsonObject? Salvage(object value, JsonSerializerOptions options)
    {
        var page = new JsonObject();
        var salvagedAny = false;
        foreach (var property in value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            var name = options.PropertyNamingPolicy?.ConvertName(property.Name) ?? property.Name;
            var propertyValue = property.GetValue(value);
            if (propertyValue is IEnumerable items and not string)
            {
                var array = new JsonArray();
                foreach (var item in items)
                {
                    array.Add(Item(item, options));
                }

                page[name] = array;
                salvagedAny = true;
            }
            else
            {
                page[name] = Item(propertyValue, options);
            }
        }

        return salvagedAny ? page : null;
    }

    private static JsonNode? Item(object? item, JsonSerializerOptions options)
    {
        try
        {
            return item is null ? null : JsonSerializer.SerializeToNode(item, item.GetType(), options);
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or NotSupportedException or ArgumentException or NullReferenceException)
        {
            var stub = new JsonObject { ["unreadable"] = true, ["error"] = "this record could not be serialized; see the silo log." };
            if (item is SessionResponse session)
            {
                stub["id"] = session.Id.ToString();
            }

            return stub;
        }
    }

    private sealed class Buffered(byte[] bytes, int statusCode, string? location) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = statusCode;
            if (location is not null)
            {
                httpContext.Response.Headers.Location = location;
            }

            httpContext.Response.ContentType = "application/json; charset=utf-8";
            httpContext.Response.ContentLength = bytes.Length;
            await httpContext.Response.Body.WriteAsync(bytes, httpContext.RequestAborted);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A stored record could not be serialized for {Method} {Path}.")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string method, PathString path);
}
