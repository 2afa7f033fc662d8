using System.Net;
using System.Text.RegularExpressions;

namespace SessionMesh.Tests.Http;

/// <summary>The dashboard's sign-in form, driven as a browser drives it.</summary>
public static partial class DashboardLogin
{
    /// <summary>Loads the login form (for its anti-forgery token) and posts a key, as a browser does.</summary>
    public static async Task<HttpResponseMessage> LoginAsync(HttpClient browser, string key)
    {
        ArgumentNullException.ThrowIfNull(browser);
        using var form = await browser.GetAsync("/dashboard-login");
        var html = await form.Content.ReadAsStringAsync();
        var token = TokenField().Match(html).Groups["token"].Value;
        Assert.False(string.IsNullOrEmpty(token), "the login form carries an anti-forgery token");
        return await browser.PostAsync("/dashboard-login", new FormUrlEncodedContent(new Dictionary<string, string> { ["__antiforgery"] = WebUtility.HtmlDecode(token), ["key"] = key }));
    }

    [GeneratedRegex("name=\"__antiforgery\" value=\"(?<token>[^\"]+)\"")]
    public static partial Regex TokenField();
}
