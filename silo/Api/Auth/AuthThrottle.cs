using System.Globalization;
using System.Threading.RateLimiting;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>
/// Throttles failed authentications (API keys and dashboard logins) per client address, with the
/// rate limiters ASP.NET Core's rate limiting is built on: each failure takes a token from the
/// address's bucket (<see cref="Burst"/> tokens, <see cref="PerMinute"/> back a minute). With the
/// bucket empty, that address's unverified credentials are answered 429 with <c>Retry-After</c>
/// before anything is looked up. Keys verified in the last seconds still pass: a caller is never
/// throttled by someone else's failures, and a client's own good key keeps working.
/// </summary>
public sealed class AuthThrottle : IDisposable
{
    /// <summary>Failures an address may have at once.</summary>
    public const int Burst = 20;

    /// <summary>Failures an address gets back per minute.</summary>
    public const int PerMinute = 60;

    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst,
            TokensPerPeriod = PerMinute / 6,
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Seconds to tell a throttled client to wait.</summary>
    public static readonly string RetryAfterSeconds = "10";

    /// <summary>Whether the address has failures left (does not take one).</summary>
    public bool IsThrottled(HttpContext http) => _failures.GetStatistics(Address(http))?.CurrentAvailablePermits <= 0;

    /// <summary>Counts a failure; false when the address had none left (answer 429).</summary>
    public bool Fail(HttpContext http)
    {
        using var lease = _failures.AttemptAcquire(Address(http));
        return lease.IsAcquired;
    }

    /// <summary>Writes the 429 problem with its Retry-After.</summary>
    public static IResult TooMany(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Headers.RetryAfter = RetryAfterSeconds;
        return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many failed authentications",
            detail: string.Create(CultureInfo.InvariantCulture, $"Too many failed authentications from this address; retry after {RetryAfterSeconds} seconds."));
    }

    public void Dispose() => _failures.Dispose();

    private static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
