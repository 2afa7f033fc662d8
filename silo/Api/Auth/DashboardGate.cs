using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using SessionMesh.Keys;

namespace SessionMesh.Silo.Api.Auth;

/// <summary>
/// Keeps the Orleans dashboard behind an admin key: a Bearer admin key, or a browser login at
/// /dashboard-login that sets an HttpOnly cookie for eight hours (held in memory, never the key).
/// </summary>
public sealed class DashboardGate
{
    public const string LoginPath = "/dashboard-login";
    private const string CookieName = "sessionmesh_dashboard";
    private static readonly TimeSpan LoginLifetime = TimeSpan.FromHours(8);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _logins = new(StringComparer.Ordinal);

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var gate = app.Services.GetRequiredService<DashboardGate>();
        app.Use(async (http, next) =>
        {
            if (!http.Request.Path.StartsWithSegments("/dashboard", StringComparison.OrdinalIgnoreCase) || await gate.IsAdminAsync(http))
            {
                await next(http);
                return;
            }

            if (http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
            {
                http.Response.Redirect(LoginPath);
                return;
            }

            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"session-mesh\"";
            await Results.Problem(statusCode: 401, title: "Unauthorized", detail: "The dashboard needs an admin key: 'Authorization: Bearer <key>' or log in at " + LoginPath + ".").ExecuteAsync(http);
        });

        app.MapGet(LoginPath, () => Results.Content(Page(null), "text/html")).ExcludeFromDescription();
        app.MapPost(LoginPath, async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var key = form["key"].ToString().Trim();
            if (key.Length == 0 || !await IsAdminKeyAsync(http, key))
            {
                http.Response.StatusCode = 401;
                return Results.Content(Page("That is not an admin key."), "text/html");
            }

            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            var now = DateTimeOffset.UtcNow;
            foreach (var expired in gate._logins.Where(l => l.Value <= now).Select(l => l.Key).ToList())
            {
                gate._logins.TryRemove(expired, out _);
            }

            gate._logins[token] = now + LoginLifetime;
            http.Response.Cookies.Append(CookieName, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, MaxAge = LoginLifetime, Path = "/" });
            return Results.Redirect("/dashboard/");
        }).DisableAntiforgery().ExcludeFromDescription();
    }

    private async Task<bool> IsAdminAsync(HttpContext http)
    {
        if (http.Request.Cookies.TryGetValue(CookieName, out var token) && _logins.TryGetValue(token, out var until))
        {
            if (until > DateTimeOffset.UtcNow)
            {
                return true;
            }

            _logins.TryRemove(token, out _);
        }

        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && await IsAdminKeyAsync(http, header["Bearer ".Length..].Trim());
    }

    private static async Task<bool> IsAdminKeyAsync(HttpContext http, string key)
    {
        if (http.RequestServices.GetRequiredService<AdminKey>().Matches(key))
        {
            return true;
        }

        if (!SessionKeyToken.TryParse(key, out var keyId, out var hash))
        {
            return false;
        }

        var info = await http.RequestServices.GetRequiredService<IGrainFactory>().GetGrain<ISessionKeyGrain>(keyId).VerifyAsync(hash, http.RequestAborted);
        return info?.Scopes.Contains(KeyScope.Admin) == true;
    }

    private static string Page(string? error) => $"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>SessionMesh dashboard login</title></head>
        <body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto">
        <h1>SessionMesh dashboard</h1>
        <p>Paste an admin session key (the silo logs where the generated one is stored).</p>
        {(error is null ? "" : $"<p style=\"color: #b00\">{WebUtility.HtmlEncode(error)}</p>")}
        <form method="post" action="{LoginPath}"><input type="password" name="key" size="60" autofocus> <button>Log in</button></form>
        <p><a href="/topology">Live topology of sessions and agents</a> (operator key)</p>
        </body></html>
        """;
}
