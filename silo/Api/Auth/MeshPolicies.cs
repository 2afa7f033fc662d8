using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.RateLimiting;
using SessionMesh.Keys;
using SessionMesh.Storage;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>
/// Browser sign-in for the mesh's pages (the Orleans dashboard, /topology): ASP.NET Core's cookie
/// scheme, with the data-protection key ring in the mesh's database so a sign-in made on one silo
/// is honoured by every silo. Pages require a policy by name:
/// <c>.RequireAuthorization(MeshPolicies.SignedInOperator)</c>.
/// </summary>
public static class MeshPolicies
{
    /// <summary>Signed in with an operator or admin key (the cookie scheme; HTML callers are sent to the login page).</summary>
    public const string SignedInOperator = "SessionMesh.SignedInOperator";

    /// <summary>Signed in with an admin key (the Orleans dashboard).</summary>
    public const string SignedInAdmin = "SessionMesh.SignedInAdmin";

    /// <summary>The cookie scheme's name.</summary>
    public const string CookieScheme = "SessionMesh.Cookie";

    /// <summary>The rate-limiting policy of the login form (per client address).</summary>
    public const string LoginRateLimit = "SessionMesh.Login";

    /// <summary>Claim: the id of the key that signed in, or <see cref="BootstrapKeyId"/>.</summary>
    public const string KeyIdClaim = "sessionmesh:key_id";

    /// <summary>Claim: one of the key's scopes (admin, operator, agent).</summary>
    public const string ScopeClaim = "sessionmesh:scope";

    /// <summary>The key id claim of a sign-in with the bootstrap admin key (bound to that key's fingerprint).</summary>
    public const string BootstrapKeyId = "bootstrap";

    /// <summary>How long a sign-in lasts at most (the key's own expiry, revocation, or this).</summary>
    public static readonly TimeSpan SignInLifetime = TimeSpan.FromHours(8);

    /// <summary>Cookie authentication, the shared key ring, anti-forgery and the login rate limit.</summary>
    public static IServiceCollection AddMeshSignIn(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("SessionMesh");
        services.AddOptions<KeyManagementOptions>().Configure<System.Data.Common.DbDataSource>((o, database) => o.XmlRepository = new DbXmlRepository(database));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "sessionmesh_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__antiforgery";
        });
        services.AddAuthentication(CookieScheme).AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = "sessionmesh_signin";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever the request came over HTTPS
            o.ExpireTimeSpan = SignInLifetime;
            o.SlidingExpiration = false;
            o.LoginPath = DashboardGate.LoginPath;
            o.LogoutPath = DashboardGate.LogoutPath;
            o.AccessDeniedPath = DashboardGate.LoginPath;
            o.Events.OnValidatePrincipal = ValidateAsync;
            o.Events.OnRedirectToLogin = context => ChallengeAsync(context, 401);
            o.Events.OnRedirectToAccessDenied = context => ChallengeAsync(context, 403);
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(SignedInOperator, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser()
                .RequireClaim(ScopeClaim, "admin", "operator"))
            .AddPolicy(SignedInAdmin, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser()
                .RequireClaim(ScopeClaim, "admin"));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(LoginRateLimit, http => System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = 30, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (context, cancellationToken) =>
                await AuthThrottle.TooMany(context.HttpContext).ExecuteAsync(context.HttpContext);
        });
        return services;
    }

    /// <summary>The principal of a signed-in key.</summary>
    public static ClaimsPrincipal Principal(string keyId, IEnumerable<KeyScope> scopes) =>
        new(new ClaimsIdentity(
            [new Claim(KeyIdClaim, keyId), .. scopes.Select(s => new Claim(ScopeClaim, s.ToString().ToLowerInvariant()))],
            CookieScheme));

    // Every request re-checks the key behind the cookie (cached for at most 5 s): revoking the key,
    // or an ancestor of it, or changing the bootstrap admin key, ends its sign-ins.
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var keyId = context.Principal?.FindFirstValue(KeyIdClaim);
        var services = context.HttpContext.RequestServices;
        var inForce = keyId switch
        {
            null => false,
            _ when keyId.StartsWith(BootstrapKeyId + ":", StringComparison.Ordinal) =>
                keyId[(BootstrapKeyId.Length + 1)..] == services.GetRequiredService<AdminKey>().Fingerprint,
            _ => await services.GetRequiredService<KeyVerifier>().IsInForceAsync(keyId, context.HttpContext.RequestAborted),
        };
        if (!inForce)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
        }
    }

    private static async Task ChallengeAsync(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (DashboardGate.WantsHtml(context.HttpContext.Request))
        {
            context.Response.Redirect(context.RedirectUri);
            return;
        }

        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"session-mesh\"";
        }

        await Results.Problem(statusCode: status, title: status == 401 ? "Unauthorized" : "Forbidden",
            detail: $"Sign in at {DashboardGate.LoginPath} or send a key as 'Authorization: Bearer <key>'.").ExecuteAsync(context.HttpContext);
    }
}
