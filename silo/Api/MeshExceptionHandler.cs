using Microsoft.AspNetCore.Diagnostics;
using SessionMesh.Errors;

namespace SessionMesh.Silo.Api;

/// <summary>
/// The one place errors become RFC 9457 problem details: each mesh error type maps to one status,
/// bad requests keep theirs, and only a true fault is a 500.
/// </summary>
public sealed partial class MeshExceptionHandler(IProblemDetailsService problems, System.Data.Common.DbDataSource database, ILogger<MeshExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        // The route that failed (the exception middleware has already cleared the request's endpoint).
        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
        var (status, title, errors) = exception switch
        {
            RequestInvalidException invalid => (400, "Invalid request", invalid.Errors),
            InvalidInputException input => (400, "Invalid request", new Dictionary<string, string[]> { [WireNames.Field(input.Field, endpoint)] = [input.Problem] }),
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode switch
            {
                413 => "Request body too large",
                415 => "Unsupported content type",
                _ => "Malformed request",
            }, null),
            IOException io when io.InnerException is OverflowException or FormatException => (400, "Malformed request", null),
            SessionNotFoundException => (404, "Session not found", null),
            AgentNotFoundException => (404, "Agent not found", null),
            SessionKeyNotFoundException => (404, "Session key not found", null),
            InvalidTransitionException => (409, "Invalid transition", null),
            SessionAlreadyExistsException => (409, "Session already exists", null),
            StaleEpochException => (409, "Stale epoch", null),
            DirectiveLimitException => (409, "Directive limit reached", null),
            ContextTooLargeException => (422, "Context too large", null),
            Auth.ForbiddenException => (403, "Forbidden", null),
            _ when Unavailable(exception) is { } unavailable => (unavailable.Status, unavailable.Title, null),
            _ => (500, "Internal error", (IReadOnlyDictionary<string, string[]>?)null),
        };

        if (status == 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);

            // A fault raised while the database is down (e.g. inside a remote grain activation, where
            // the driver's exception cannot be serialized back) is that outage, not a bug: say so.
            if (!await DatabaseAnswersAsync(cancellationToken))
            {
                (status, title) = (503, StorageUnavailable);
            }
        }

        httpContext.Response.StatusCode = status;
        if (status is 503 or 504)
        {
            httpContext.Response.Headers.RetryAfter = "2";
        }

        var details = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = (status, title) switch
            {
                (500, _) => "The request could not be completed.",
                (_, StorageUnavailable) => "The database did not answer. Retry shortly; a read shows whether the change took effect.",
                (_, TimedOut) => "A silo or grain did not answer in time. Retry shortly; a read shows whether the change took effect.",
                (_, MeshUnavailable) => "The silo that holds this grain is unreachable or shutting down. Retry shortly; a read shows whether the change took effect.",
                _ when exception is InvalidInputException input => WireNames.Describe(input, endpoint),
                _ => exception.Message,
            },
        };
        if (errors is not null)
        {
            details.Extensions["errors"] = errors;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = details, Exception = exception });
    }

    private async Task<bool> DatabaseAnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var connection = await database.OpenConnectionAsync(timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private const string StorageUnavailable = "Storage unavailable";
    private const string TimedOut = "Timed out";
    private const string MeshUnavailable = "Mesh unavailable";

    /// <summary>
    /// The database or the cluster did not answer: a transient state, not a fault of the request. The
    /// title names the part that failed, so an operator looks at the database only when it is the database.
    /// </summary>
    private static (int Status, string Title)? Unavailable(Exception exception)
    {
        (int, string)? found = null;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case StorageUnavailableException or System.Data.Common.DbException:
                    return (503, StorageUnavailable);
                case TimeoutException:
                    found ??= (504, TimedOut);
                    break;
                case Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException:
                    found ??= (503, MeshUnavailable);
                    break;
            }
        }

        return found;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}.")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);
}
