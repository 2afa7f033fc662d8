using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using SessionMesh.Keys;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>
/// Keeps the Orleans dashboard behind an admin key: a Bearer admin key, or a sign-in at
/// /dashboard-login (ASP.NET Core's cookie scheme, see <see cref="MeshPolicies"/>). The login form
/// carries an anti-forgery token, is rate-limited per address, and refuses anything but a small
/// form post; its pages and the dashboard's carry CSP and frame-ancestors headers.
/// </summary>
public static class DashboardGate
{
    public const string LoginPath = "/dashboard-login";
    public const string LogoutPath = "/dashboard-logout";

    // The login form needs one field plus the anti-forgery token; more is not a login.
    private const int MaxLoginFields = 8;
    private const int MaxLoginBytes = 4096;

    /// <summary>Pages of ours: nothing from elsewhere, never framed.</summary>
    private const string PageSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The Orleans dashboard runs its own scripts: it may load from itself only, and never be framed.</summary>
    private const string DashboardSecurityPolicy = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        app.UseRateLimiter();
        app.Use(async (http, next) =>
        {
            var path = http.Request.Path;
            if (path.StartsWithSegments(LoginPath, StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments(LogoutPath, StringComparison.OrdinalIgnoreCase))
            {
                SecurityHeaders(http, PageSecurityPolicy);
            }

            if (!path.StartsWithSegments("/dashboard", StringComparison.OrdinalIgnoreCase))
            {
                await next(http);
                return;
            }

            SecurityHeaders(http, DashboardSecurityPolicy);
            var denied = await CheckAdminAsync(http);
            if (denied is null)
            {
                await next(http);
                return;
            }

            await denied.ExecuteAsync(http);
        });
        app.UseAuthorization();

        app.MapGet(LoginPath, (HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
            Results.Content(LoginPage(antiforgery.GetAndStoreTokens(http), null, returnUrl), "text/html; charset=utf-8"))
            .ExcludeFromDescription();
        app.MapPost(LoginPath, LoginAsync).DisableAntiforgery().RequireRateLimiting(MeshPolicies.LoginRateLimit).ExcludeFromDescription();
        app.MapGet(LogoutPath, (HttpContext http, IAntiforgery antiforgery) =>
            Results.Content(LogoutPage(antiforgery.GetAndStoreTokens(http)), "text/html; charset=utf-8"))
            .ExcludeFromDescription();
        app.MapPost(LogoutPath, async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (await ReadLoginFormAsync(http) is { } bad)
            {
                return bad;
            }

            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Results.Problem(statusCode: 400, title: "Malformed request", detail: "The sign-out form's anti-forgery token is missing or invalid; reload the form.");
            }

            await http.SignOutAsync(MeshPolicies.CookieScheme);
            return Results.Redirect(LoginPath);
        }).DisableAntiforgery().ExcludeFromDescription();
    }

    /// <summary>Whether the caller is a browser asking for a page (sent to the login form rather than given a 401).</summary>
    public static bool WantsHtml(HttpRequest request) =>
        request?.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase) == true;

    private static async Task<IResult> LoginAsync(HttpContext http, IAntiforgery antiforgery, AuthThrottle throttle)
    {
        if (await ReadLoginFormAsync(http) is { } bad)
        {
            return bad;
        }

        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Results.Problem(statusCode: 400, title: "Malformed request", detail: "The login form's anti-forgery token is missing or invalid; reload the form.");
        }

        var form = http.Request.Form;
        var key = form["key"].ToString().Trim();
        var returnUrl = form["return_url"].ToString();
        var caller = key.Length == 0 ? null : await MeshAuth.VerifyTokenAsync(http, key);
        if (caller is null || !caller.IsOperator)
        {
            if (!throttle.Fail(http))
            {
                return AuthThrottle.TooMany(http);
            }

            http.Response.StatusCode = 401;
            return Results.Content(LoginPage(antiforgery.GetAndStoreTokens(http), "That is not an operator or admin key.", returnUrl), "text/html; charset=utf-8");
        }

        var keyId = caller.Key?.KeyId ?? $"{MeshPolicies.BootstrapKeyId}:{http.RequestServices.GetRequiredService<AdminKey>().Fingerprint}";
        var expires = caller.Key is { } k && k.ExpiresAt < DateTimeOffset.UtcNow + MeshPolicies.SignInLifetime ? k.ExpiresAt : (DateTimeOffset?)null;
        await http.SignInAsync(MeshPolicies.CookieScheme, MeshPolicies.Principal(keyId, caller.Scopes),
            new AuthenticationProperties { IsPersistent = true, ExpiresUtc = expires });
        return Results.Redirect(IsLocal(returnUrl) ? returnUrl : "/dashboard/");
    }

    // A login or logout post is a small urlencoded form; anything else is refused before it is read.
    private static async Task<IResult?> ReadLoginFormAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType || http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return Results.Problem(statusCode: 415, title: "Unsupported content type", detail: "Send the login form as application/x-www-form-urlencoded.");
        }

        if (http.Request.ContentLength is > MaxLoginBytes)
        {
            return Results.Problem(statusCode: 413, title: "Request body too large", detail: $"A login form is at most {MaxLoginBytes} bytes.");
        }

        try
        {
            http.Features.Set<IFormFeature>(new FormFeature(http.Request, new FormOptions { ValueCountLimit = MaxLoginFields, ValueLengthLimit = MaxLoginBytes, KeyLengthLimit = 64 }));
            await http.Request.ReadFormAsync(http.RequestAborted);
            return null;
        }
        catch (InvalidDataException ex)
        {
            return Results.Problem(statusCode: 400, title: "Malformed request", detail: $"Not a login form: {ex.Message}");
        }
    }

    private static async Task<IResult?> CheckAdminAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var caller = await MeshAuth.VerifyTokenAsync(http, header["Bearer ".Length..].Trim());
            if (caller?.Has(KeyScope.Admin) == true)
            {
                return null;
            }

            if (caller is null && !http.RequestServices.GetRequiredService<AuthThrottle>().Fail(http))
            {
                return AuthThrottle.TooMany(http);
            }
        }
        else
        {
            var signIn = await http.AuthenticateAsync(MeshPolicies.CookieScheme);
            if (signIn.Succeeded && signIn.Principal.HasClaim(MeshPolicies.ScopeClaim, "admin"))
            {
                return null;
            }
        }

        if (WantsHtml(http.Request))
        {
            return Results.Redirect($"{LoginPath}?returnUrl={Uri.EscapeDataString(http.Request.Path + http.Request.QueryString)}");
        }

        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"session-mesh\"";
        return Results.Problem(statusCode: 401, title: "Unauthorized", detail: "The dashboard needs an admin key: 'Authorization: Bearer <key>' or sign in at " + LoginPath + ".");
    }

    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl);

    private static void SecurityHeaders(HttpContext http, string policy)
    {
        http.Response.Headers.ContentSecurityPolicy = policy;
        http.Response.Headers.XFrameOptions = "DENY";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        if (policy == DashboardSecurityPolicy)
        {
            // (The login pages carry an anti-forgery token, and the framework marks those no-store itself.)
            http.Response.Headers.CacheControl = "no-store";
        }
    }

    private static string LoginPage(AntiforgeryTokenSet tokens, string? error, string? returnUrl) => $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>SessionMesh sign-in</title></head>
        <body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto">
        <h1>SessionMesh sign-in</h1>
        <p>Paste an operator or admin session key (the silo logs where the generated admin key is stored). The dashboard needs an admin key.</p>
        {(error is null ? "" : $"<p style=\"color: #b00\">{WebUtility.HtmlEncode(error)}</p>")}
        <form method="post" action="{LoginPath}">
        <input type="hidden" name="{tokens.FormFieldName}" value="{WebUtility.HtmlEncode(tokens.RequestToken)}">
        <input type="hidden" name="return_url" value="{WebUtility.HtmlEncode(IsLocal(returnUrl) ? returnUrl : string.Empty)}">
        <input type="password" name="key" size="60" autofocus> <button>Sign in</button></form>
        <p><a href="/topology">Live topology of sessions and agents</a> (operator key) · <a href="{LogoutPath}">Sign out</a></p>
        </body></html>
        """;

    private static string LogoutPage(AntiforgeryTokenSet tokens) => $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>SessionMesh sign-out</title></head>
        <body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto">
        <h1>SessionMesh sign-out</h1>
        <form method="post" action="{LogoutPath}">
        <input type="hidden" name="{tokens.FormFieldName}" value="{WebUtility.HtmlEncode(tokens.RequestToken)}">
        <button>Sign out</button></form>
        </body></html>
        """;
}
