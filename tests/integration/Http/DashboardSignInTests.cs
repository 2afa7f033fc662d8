using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SessionMesh.Tests.Http;

/// <summary>
/// Dashboard sign-in on ASP.NET Core's cookie scheme: anti-forgery on the form, the key ring in the
/// database (a sign-in made on one silo works on another), revocation ends a sign-in, logout, and
/// security headers; malformed posts are a 4xx.
/// </summary>
[Trait("Category", "Http")]
public sealed class DashboardSignInTests
{
    [Fact]
    public async Task A_sign_in_on_one_silo_works_on_another_sharing_the_database_and_logout_ends_it()
    {
        await using var first = await HttpSilo.StartAsync();
        await using var second = await HttpSilo.StartAsync(dataDirectory: first.DataDirectory);
        var cookies = new CookieContainer();
        using var browser = Browser(first, cookies);
        using (var login = await DashboardLogin.LoginAsync(browser, HttpSilo.AdminKey))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sessionmesh_signin=", StringComparison.Ordinal));
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("secure", cookie.Replace("samesite", string.Empty, StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase); // plain HTTP here; Secure over HTTPS
        }

        using (var dashboard = await browser.GetAsync("/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Contains("frame-ancestors 'none'", dashboard.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }

        // The same cookie, presented to the other silo.
        using (var elsewhere = Browser(second, CopyCookies(cookies, first, second)))
        using (var dashboard = await elsewhere.GetAsync("/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }

        using (var logoutForm = await browser.GetAsync("/dashboard-logout"))
        {
            var token = DashboardLogin.TokenField().Match(await logoutForm.Content.ReadAsStringAsync()).Groups["token"].Value;
            using var logout = await browser.PostAsync("/dashboard-logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__antiforgery"] = WebUtility.HtmlDecode(token) }));
            Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        }

        using var after = await browser.GetAsync("/dashboard/");
        await HttpSilo.AssertProblemAsync(after, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Revoking_the_key_ends_its_sign_ins()
    {
        await using var silo = await HttpSilo.StartAsync();
        using var created = await silo.Admin.PostAsync("/api/session-mesh/keys", HttpSilo.Json("""{"ttl": 600, "scopes": ["admin"]}"""));
        var key = await HttpSilo.ReadAsync(created);
        using var browser = Browser(silo, new CookieContainer());
        using (var login = await DashboardLogin.LoginAsync(browser, key.GetProperty("session_key").GetString()!))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        using (var dashboard = await browser.GetAsync("/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        }

        using (await silo.Admin.DeleteAsync($"/api/session-mesh/keys/{key.GetProperty("key_id").GetString()}"))
        {
        }

        using var refused = await browser.GetAsync("/dashboard/");
        await HttpSilo.AssertProblemAsync(refused, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_login_form_needs_its_anti_forgery_token_and_refuses_malformed_posts_with_a_4xx()
    {
        await using var silo = await HttpSilo.StartAsync();
        using var browser = Browser(silo, new CookieContainer());
        using (var page = await browser.GetAsync("/dashboard-login"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var policy = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
            Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
            Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        }

        var posts = new HttpContent[]
        {
            new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = HttpSilo.AdminKey }), // no anti-forgery token
            new StringContent($$"""{"key": "{{HttpSilo.AdminKey}}"}""", Encoding.UTF8, "application/json"),
            new StringContent("key=" + HttpSilo.AdminKey, Encoding.UTF8, "text/plain"),
            new StringContent(string.Join('&', Enumerable.Range(0, 5000).Select(i => $"f{i}=x")), Encoding.ASCII, "application/x-www-form-urlencoded"),
            new StringContent(string.Join('&', Enumerable.Range(0, 50).Select(i => $"f{i}=x")), Encoding.ASCII, "application/x-www-form-urlencoded"),
            Multipart("%%%=%%%&key"),
        };
        foreach (var content in posts)
        {
            using var response = await browser.PostAsync("/dashboard-login", content);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{content.Headers.ContentType}: {(int)response.StatusCode}");
            Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.StartsWith("sessionmesh_signin=", StringComparison.Ordinal));
        }
    }

    private static ByteArrayContent Multipart(string text)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(text));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=x");
        return content;
    }

    private static HttpClient Browser(HttpSilo silo, CookieContainer cookies)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(silo.BaseUrl) };
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        return client;
    }

    private static CookieContainer CopyCookies(CookieContainer from, HttpSilo source, HttpSilo target)
    {
        var to = new CookieContainer();
        foreach (Cookie cookie in from.GetCookies(new Uri(source.BaseUrl)))
        {
            to.Add(new Uri(target.BaseUrl), new Cookie(cookie.Name, cookie.Value, "/"));
        }

        return to;
    }
}
