using Microsoft.Playwright;
using SessionMesh.Tests.Http;

namespace SessionMesh.Tests.Browser;

/// <summary>
/// A real silo plus Debian's Chromium driven by Playwright (the browser Playwright would download
/// cannot be fetched here; scripts/test.sh installs the `chromium` package). Each test gets a fresh
/// browser context with a fresh user data directory.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private HttpSilo? _silo;

    public HttpSilo Silo => _silo ?? throw new InvalidOperationException("not started");

    public IPlaywright Playwright => _playwright ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _silo = await HttpSilo.StartAsync();
        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
    }

    /// <summary>A new browser with its own empty profile; dispose it to close the browser and delete the profile.</summary>
    public async Task<BrowserSession> OpenAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run ./scripts/test.sh (it installs Debian's chromium) or apt-get install -y chromium.");
        }

        var profile = Directory.CreateTempSubdirectory("sessionmesh-chromium-").FullName;
        var context = await Playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1600, Height = 1000 },
            BaseURL = Silo.BaseUrl,
        });
        var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
        return new BrowserSession(context, page, profile);
    }

    public async Task DisposeAsync()
    {
        _playwright?.Dispose();
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}

/// <summary>One browser with one page.</summary>
public sealed class BrowserSession(IBrowserContext context, IPage page, string profile) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    /// <summary>Opens /topology and signs in with <paramref name="key"/>, waiting until the event stream is live.</summary>
    public async Task SignInAsync(string key)
    {
        await Page.GotoAsync("/topology");
        await Page.FillAsync("#key", key);
        await Page.ClickAsync("#signin-form button");
        await Assertions.Expect(Page.Locator("#connection")).ToHaveTextAsync("live", new() { Timeout = 30_000 });
        await Assertions.Expect(Page.Locator("#stats")).ToContainTextAsync("sessions", new() { Timeout = 30_000 });
    }

    public async ValueTask DisposeAsync()
    {
        await context.CloseAsync();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
