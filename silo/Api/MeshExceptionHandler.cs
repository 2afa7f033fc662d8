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
        var (status, title, errors) = exception switch
        {
            RequestInvalidException invalid => (400, "Invalid request", invalid.Errors),
            InvalidInputException input => (400, "Invalid request", new Dictionary<string, string[]> { [input.Field] = [input.Problem] }),
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
            Auth.ForbiddenException => (403, "Forbidden", null),
            StorageUnavailableException => (503, "Storage unavailable", null),
            _ when IsUnavailable(exception) => (503, "Storage unavailable", null),
            _ => (500, "Internal error", (IReadOnlyDictionary<string, string[]>?)null),
        };

        if (status == 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);

            // A fault raised while the database is down (e.g. inside a remote grain activation, where
            // the driver's exception cannot be serialized back) is that outage, not a bug: say so.
            if (!await DatabaseAnswersAsync(cancellationToken))
            {
                (status, title) = (503, "Storage unavailable");
            }
        }

        httpContext.Response.StatusCode = status;
        if (status == 503)
        {
            httpContext.Response.Headers.RetryAfter = "2";
        }

        var details = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = status switch
            {
                500 => "The request could not be completed.",
                503 => "The database or a silo did not answer in time. Retry shortly; a read shows whether the change took effect.",
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

    /// <summary>The database or the cluster did not answer: a transient state, not a fault of the request.</summary>
    private static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StorageUnavailableException or System.Data.Common.DbException or TimeoutException or Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException)
            {
                return true;
            }

        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}.")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);
}
