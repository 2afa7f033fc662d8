using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using SessionMesh.Silo.Hosting;

namespace SessionMesh.Bench;

/// <summary>
/// The live topology page (/topology) under load, measured in the browser: a real silo (the host
/// `dotnet run --project silo` starts, SQLite in a temp directory, free loopback ports) and Debian's
/// headless Chromium driven by Playwright, signed in with an operator key.
/// <list type="number">
/// <item>Latency: from inside the page, performance.now() before an API call made with fetch, to the
/// moment a MutationObserver sees the change in the DOM (a new session's node; a handed-off
/// session's child node; a completed node's data-status). One event at a time.</item>
/// <item>Memory: the page's JS heap, DOM node count (CDP Performance.getMetrics) and the renderer's
/// RSS, empty and after 10,000 sessions were spawned through the API while the page was open, and
/// after a reload of the page with those sessions in the mesh.</item>
/// </list>
/// </summary>
internal static class PageBench
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const string Api = "/api/session-mesh";
    // What a fresh load of the page reads (4 pages of 500); past a backlog the page reads these again.
    private const int FreshLoadSessions = 2000;

    private const string CaughtUpProbe = """
        () => {
          const t = window.__topology;
          const idle = !t.flushing && !t.needsReload && t.dirtySessions.size === 0 && document.getElementById('connection').textContent === 'live';
          return { known: t.sessions.size, idle };
        }
        """;

    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(21);

    /// <summary>Runs inside the page: <c>n</c> sequential events of one kind, each timed from before the fetch to the DOM change.</summary>
    private const string LatencyScript = """
        async ({ key, n, mode, prefix }) => {
          const api = '/api/session-mesh';
          const headers = { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' };
          const lineages = document.getElementById('lineages');
          // Resolves with performance.now() when test() first holds after a DOM mutation (NaN after 30 s).
          const until = (test) => new Promise((resolve) => {
            let observer = null;
            const timer = setTimeout(() => { observer.disconnect(); resolve(NaN); }, 30000);
            observer = new MutationObserver(() => {
              if (test()) { clearTimeout(timer); observer.disconnect(); resolve(performance.now()); }
            });
            observer.observe(lineages, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-status'] });
          });
          const node = (id, status) => () => document.querySelector(`.node[data-session="${id}"]` + (status ? `[data-status="${status}"]` : '')) !== null;
          const post = async (path, body) => {
            const response = await fetch(api + path, { method: 'POST', headers, body: JSON.stringify(body) });
            if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
          };
          // One timed event: the observer is in place before the clock starts and the call is made.
          const timed = async (test, call) => {
            const seen = until(test);
            const t0 = performance.now();
            await call();
            const answered = performance.now();
            const shown = await seen;
            return { page: shown - t0, api: answered - t0 };
          };
          const out = { spawn: [], handoff: [], complete: [] };
          for (let i = 0; i < n; i++) {
            const id = crypto.randomUUID();
            const spawn = () => post('/sessions', { agent_name: 'PageBenchAgent', session_id: id, purpose: `${prefix} ${i}`, context: { issue_number: 1000 + i, current_phase: 'CodeGeneration' } });
            if (mode === 'spawn') { out.spawn.push(await timed(node(id), spawn)); continue; }
            // handoff mode: the parent is spawned and drawn first (not timed), then the handoff and the child's completion are timed.
            const drawn = until(node(id));
            await spawn();
            await drawn;
            const child = crypto.randomUUID();
            out.handoff.push(await timed(node(child), () => post(`/sessions/${id}/handoff`, { to_agent: 'PageBenchReviewer', child_session_id: child, context: { issue_number: 1000 + i, current_phase: 'Review' } })));
            out.complete.push(await timed(node(child, 'Completed'), () => post(`/sessions/${child}/complete`, {})));
          }
          return out;
        }
        """;

    public static async Task RunAsync(string[] args)
    {
        var events = IntArg(args, "--events", 200);
        var bulk = IntArg(args, "--sessions", 10_000);
        var concurrency = IntArg(args, "--concurrency", 16);
        const int WarmUp = 20;

        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: apt-get install -y chromium (Playwright's own browser download does not work here).");
        }

        var data = Directory.CreateTempSubdirectory("sessionmesh-page-bench-").FullName;
        var profile = Directory.CreateTempSubdirectory("sessionmesh-page-bench-chromium-").FullName;
        var baseUrl = $"http://127.0.0.1:{FreePort()}";
        var adminKey = "bench-admin-" + Guid.NewGuid().ToString("N");
        Console.WriteLine($"# SessionMesh page bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {baseUrl}, data {data}");

        var app = SiloApp.Create(
        [
            $"--SessionMesh:DataDirectory={data}",
            $"--SessionMesh:HttpUrl={baseUrl}",
            $"--SessionMesh:SiloPort={FreePort()}",
            $"--SessionMesh:GatewayPort={FreePort()}",
            $"--SessionMesh:AdminKey={adminKey}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            using var admin = Client(baseUrl, adminKey);
            var key = await CreateOperatorKeyAsync(admin);
            using var operatorClient = Client(baseUrl, key);

            using var playwright = await Playwright.CreateAsync();
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                ViewportSize = new ViewportSize { Width = 1600, Height = 1000 },
                BaseURL = baseUrl,
            });
            try
            {
                var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
                await SignInAsync(page, key);
                var cdp = await context.NewCDPSessionAsync(page);
                await cdp.SendAsync("Performance.enable");
                await Task.Delay(TimeSpan.FromSeconds(2));
                var empty = await MeasureAsync(cdp, page, profile, "empty page, signed in, 0 sessions");

                // ---- latency ----
                Console.WriteLine($"warm-up: {WarmUp} spawns, {WarmUp / 4} handoffs");
                await LatencyAsync(page, key, WarmUp, "spawn", "warm-up");
                await LatencyAsync(page, key, WarmUp / 4, "handoff", "warm-up");
                Console.WriteLine($"timing {events} spawns, then {events} handoffs + completions, one at a time");
                var spawn = await LatencyAsync(page, key, events, "spawn", "latency");
                var chain = await LatencyAsync(page, key, events, "handoff", "latency");

                // ---- 10,000 sessions while the page is open ----
                await Task.Delay(TimeSpan.FromSeconds(1));
                var before = await page.EvaluateAsync<int>("() => window.__topology.sessions.size");
                var expected = before + bulk;
                await page.EvaluateAsync("""
                    () => {
                      window.__bench = { drops: 0 };
                      new MutationObserver(() => { if (document.getElementById('connection').textContent !== 'live') window.__bench.drops++; })
                        .observe(document.getElementById('connection'), { childList: true, characterData: true, subtree: true });
                    }
                    """);
                var requests = new RequestCounter(page);
                Console.WriteLine($"spawning {bulk} sessions through the API ({concurrency} at a time); the page knows {before}");
                var samples = new List<(double Seconds, int Known)>();
                var watch = Stopwatch.StartNew();
                var spawned = 0;
                using var sampling = new CancellationTokenSource();
                var sampler = Task.Run(async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        try
                        {
                            var known = await page.EvaluateAsync<int>("() => window.__topology.sessions.size");
                            lock (samples)
                            {
                                samples.Add((watch.Elapsed.TotalSeconds, known));
                            }

                            await Task.Delay(TimeSpan.FromSeconds(2), sampling.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }
                    }
                });
                await Parallel.ForEachAsync(Enumerable.Range(0, bulk), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
                {
                    using var response = await operatorClient.PostAsync($"{Api}/sessions", Json($$$"""{"agent_name": "PageBenchLoad", "purpose": "memory {{{i}}}", "context": {"issue_number": {{{20000 + i}}}, "current_phase": "CodeGeneration"}}"""), ct);
                    if (response.StatusCode != HttpStatusCode.Created)
                    {
                        throw new InvalidOperationException($"spawn {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                    }

                    if (Interlocked.Increment(ref spawned) % 2000 == 0)
                    {
                        Console.WriteLine($"  {spawned} spawned ({watch.Elapsed.TotalSeconds:0.0} s)");
                    }
                });
                var spawnSeconds = watch.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bulk} spawned in {spawnSeconds:0.0} s ({bulk / spawnSeconds:0}/s); waiting for the page to know {expected}"));

                // Caught up: the page knows every session, or it read everything announced (no read
                // pending or failing, badge `live`, for 2 s) and knows at least what a fresh load
                // shows; or stalled: no progress for 60 s; or 10 minutes.
                var caughtUp = double.NaN;
                var last = -1;
                var lastChange = watch.Elapsed;
                TimeSpan? idleSince = null;
                while (watch.Elapsed < TimeSpan.FromMinutes(10))
                {
                    var state = await page.EvaluateAsync<JsonElement>(CaughtUpProbe);
                    var known = state.GetProperty("known").GetInt32();
                    idleSince = state.GetProperty("idle").GetBoolean() ? idleSince ?? watch.Elapsed : null;
                    if (known >= expected || (known >= Math.Min(expected, FreshLoadSessions) && watch.Elapsed - idleSince >= TimeSpan.FromSeconds(2)))
                    {
                        caughtUp = (idleSince ?? watch.Elapsed).TotalSeconds;
                        break;
                    }

                    if (known != last)
                    {
                        last = known;
                        lastChange = watch.Elapsed;
                    }
                    else if (watch.Elapsed - lastChange > TimeSpan.FromSeconds(60))
                    {
                        break;
                    }

                    await Task.Delay(250);
                }

                await sampling.CancelAsync();
                await sampler;
                var shown = await page.EvaluateAsync<JsonElement>("""
                    () => ({
                      known: window.__topology.sessions.size,
                      rows: window.__topology.rows.length,
                      lineages: document.querySelectorAll('#lineages .lineage').length,
                      nodes: document.querySelectorAll('#lineages .node').length,
                      shown: document.getElementById('shown').textContent,
                      page: document.getElementById('page').textContent,
                      stats: document.getElementById('stats').textContent,
                      connection: document.getElementById('connection').textContent,
                      drops: window.__bench.drops,
                      more: !document.getElementById('more').hidden,
                    })
                    """);
                Console.WriteLine($"page after the load: {shown}");
                Console.WriteLine($"page requests during the load: {requests}");
                using (var newest = await operatorClient.GetAsync($"{Api}/sessions?status=all&limit=100"))
                {
                    using var listed = JsonDocument.Parse(await newest.Content.ReadAsStringAsync());
                    var ids = listed.RootElement.GetProperty("sessions").EnumerateArray().Select(x => x.GetProperty("id").GetString()).ToList();
                    var drawn = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#lineages .lineage')].map((r) => r.dataset.root)");
                    Console.WriteLine($"of the 100 newest sessions (GET /sessions), {ids.Intersect(drawn).Count()} are among the {drawn.Length} lineage rows on the page's first page");
                }
                lock (samples)
                {
                    Console.WriteLine("page progress (s → sessions known): " + string.Join(", ", samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Seconds:0}→{s.Known}"))));
                }

                var loaded = await MeasureAsync(cdp, page, profile, $"after {bulk} spawns with the page open");
                requests.Detach();
                var idleLoaded = await LongTasksAsync(page);

                // Latency again, with the load in the page.
                Console.WriteLine($"timing {events} spawns with {expected} sessions in the page");
                var spawnLoaded = await LatencyAsync(page, key, events, "spawn", "latency-loaded");

                // A fresh load of the page with that many sessions in the mesh (the key is in sessionStorage).
                var reload = Stopwatch.StartNew();
                await page.ReloadAsync();
                await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live", new() { Timeout = 120_000 });
                await page.WaitForFunctionAsync("() => document.querySelectorAll('#lineages .lineage').length > 0 && /sessions loaded/.test(document.getElementById('shown').textContent)", null, new() { Timeout = 600_000 });
                var reloadSeconds = reload.Elapsed.TotalSeconds;
                var afterReload = await page.EvaluateAsync<JsonElement>("() => ({ known: window.__topology.sessions.size, shown: document.getElementById('shown').textContent, more: !document.getElementById('more').hidden })");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reload: drawn in {reloadSeconds:0.00} s; {afterReload}"));
                await Task.Delay(TimeSpan.FromSeconds(2));
                cdp = await context.NewCDPSessionAsync(page);
                await cdp.SendAsync("Performance.enable");
                var reloaded = await MeasureAsync(cdp, page, profile, "after a reload with those sessions in the mesh");
                var idleReloaded = await LongTasksAsync(page);

                // Every session in the page: "Load older sessions" (500 more per click) until the button goes away.
                var older = Stopwatch.StartNew();
                var clicks = 0;
                while (await page.Locator("#more").IsVisibleAsync())
                {
                    var knownBefore = await page.EvaluateAsync<int>("() => window.__topology.sessions.size");
                    await page.ClickAsync("#more");
                    await page.WaitForFunctionAsync($"() => window.__topology.sessions.size > {knownBefore} || document.getElementById('more').hidden", null, new() { Timeout = 120_000 });
                    clicks++;
                }

                var olderSeconds = older.Elapsed.TotalSeconds;
                await Task.Delay(TimeSpan.FromSeconds(2));
                var all = await MeasureAsync(cdp, page, profile, $"after {clicks} × \"Load older sessions\"");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clicks} clicks on \"Load older sessions\" in {olderSeconds:0.0} s"));

                Console.WriteLine();
                Console.WriteLine($"| API call → change on the page, measured in the page ({events} sequential events each) | p50 ms | p95 ms | p99 ms | max ms | API answer p50 ms |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|");
                Console.WriteLine(Row("spawn → new node", spawn.Spawn));
                Console.WriteLine(Row("handoff → child node in the lineage row", chain.Handoff));
                Console.WriteLine(Row("complete → node's status Completed", chain.Complete));
                Console.WriteLine(Row($"spawn → new node, {expected:N0} sessions in the page", spawnLoaded.Spawn));
                Console.WriteLine();
                Console.WriteLine("| page state | JS heap used MB | JS heap total MB | DOM nodes | renderer RSS MB | sessions known to the page | lineage rows drawn | node elements held (`state.nodes`) |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
                Console.WriteLine(empty.Row);
                Console.WriteLine(loaded.Row);
                Console.WriteLine(reloaded.Row);
                Console.WriteLine(all.Row);
                Console.WriteLine();
                Console.WriteLine($"idle page, {IdleWindow.TotalSeconds:0} s with no events: long tasks (≥ 50 ms) after the load: {idleLoaded}; after the reload: {idleReloaded}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bulk} spawns: {spawnSeconds:0.0} s through the API; the page had read every announced change after {caughtUp:0.0} s (NaN = never), knowing {shown.GetProperty("known").GetInt32()} of {expected}"));
            }
            finally
            {
                await context.CloseAsync();
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            TryDelete(profile);
            TryDelete(data);
        }
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/topology");
        await page.FillAsync("#key", key);
        await page.ClickAsync("#signin-form button");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("live", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#stats")).ToContainTextAsync("sessions", new() { Timeout = 30_000 });
    }

    /// <summary>Long tasks on the page's main thread while nothing happens (covers two of the page's 10 s node refreshes).</summary>
    private static async Task<string> LongTasksAsync(IPage page)
    {
        var durations = await page.EvaluateAsync<double[]>("""
            (ms) => new Promise((resolve) => {
              const seen = [];
              const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) seen.push(e.duration); });
              observer.observe({ type: 'longtask' });
              setTimeout(() => { observer.disconnect(); resolve(seen); }, ms);
            })
            """, IdleWindow.TotalMilliseconds);
        return durations.Length == 0
            ? "none"
            : string.Create(CultureInfo.InvariantCulture, $"{durations.Length} (max {durations.Max():0} ms, total {durations.Sum():0} ms)");
    }

    private static async Task<Latencies> LatencyAsync(IPage page, string key, int n, string mode, string prefix)
    {
        var result = await page.EvaluateAsync<JsonElement>(LatencyScript, new { key, n, mode, prefix });
        return new Latencies(Read(result, "spawn"), Read(result, "handoff"), Read(result, "complete"));

        static List<(double Page, double Api)> Read(JsonElement result, string name) =>
            [.. result.GetProperty(name).EnumerateArray().Select(e => (Number(e.GetProperty("page")), Number(e.GetProperty("api"))))];

        // NaN (a change never seen within 30 s) arrives as null.
        static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
    }

    private static string Row(string name, List<(double Page, double Api)> samples)
    {
        var missed = samples.Count(s => double.IsNaN(s.Page));
        var page = samples.Where(s => !double.IsNaN(s.Page)).Select(s => s.Page).Order().ToList();
        var api = samples.Select(s => s.Api).Order().ToList();
        var label = missed > 0 ? $"{name} ({missed} never seen within 30 s)" : name;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {label} | {Load.Percentile(page, 0.50):0.0} | {Load.Percentile(page, 0.95):0.0} | {Load.Percentile(page, 0.99):0.0} | {(page.Count > 0 ? page[^1] : double.NaN):0.0} | {Load.Percentile(api, 0.50):0.0} |");
    }

    /// <summary>JS heap and DOM node count after a forced garbage collection, the renderer's RSS, and what the page shows.</summary>
    private static async Task<Memory> MeasureAsync(ICDPSession cdp, IPage page, string profile, string label)
    {
        await cdp.SendAsync("HeapProfiler.collectGarbage");
        await Task.Delay(500);
        var metrics = await cdp.SendAsync("Performance.getMetrics");
        var values = metrics!.Value.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
        var known = await page.EvaluateAsync<int>("() => window.__topology.sessions.size");
        var rows = await page.EvaluateAsync<int>("() => document.querySelectorAll('#lineages .lineage').length");
        var held = await page.EvaluateAsync<int>("() => window.__topology.nodes.size");
        var memory = new Memory(label, values["JSHeapUsedSize"] / 1048576, values["JSHeapTotalSize"] / 1048576, (long)values["Nodes"], RendererRssMegabytes(profile), known, rows, held);
        Console.WriteLine(memory.Row);
        return memory;
    }

    /// <summary>The largest RSS among the renderer processes of the Chromium using <paramref name="profile"/> (the page's renderer).</summary>
    private static double RendererRssMegabytes(string profile)
    {
        var parents = new Dictionary<int, int>();
        var commands = new Dictionary<int, string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                commands[pid] = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        // The browser is the process started with this profile; its renderers are its descendants.
        var ours = commands.Where(c => c.Value.Contains(profile, StringComparison.Ordinal)).Select(c => c.Key).ToHashSet();
        bool Descends(int pid)
        {
            for (var guard = 0; guard < 64 && pid > 1; guard++)
            {
                if (ours.Contains(pid))
                {
                    return true;
                }

                pid = parents.GetValueOrDefault(pid);
            }

            return false;
        }

        var rss = 0L;
        foreach (var (pid, command) in commands)
        {
            if (!command.Contains("--type=renderer", StringComparison.Ordinal) || !Descends(pid))
            {
                continue;
            }

            try
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null)
                {
                    rss = Math.Max(rss, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
            }
        }

        return rss / 1024.0;
    }

    private static async Task<string> CreateOperatorKeyAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync($"{Api}/keys", Json("""{"ttl": 7200, "scopes": ["operator"]}"""));
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"creating the operator key: {(int)response.StatusCode} {text}");
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("session_key").GetString()!;
    }

    private static HttpClient Client(string baseUrl, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed record Latencies(List<(double Page, double Api)> Spawn, List<(double Page, double Api)> Handoff, List<(double Page, double Api)> Complete);

    private sealed record Memory(string Label, double HeapUsedMb, double HeapTotalMb, long DomNodes, double RendererRssMb, int Known, int Rows, int Held)
    {
        public string Row => string.Create(CultureInfo.InvariantCulture, $"| {Label} | {HeapUsedMb:0.0} | {HeapTotalMb:0.0} | {DomNodes:N0} | {RendererRssMb:0} | {Known:N0} | {Rows} | {Held:N0} |");
    }

    /// <summary>The page's own API requests while attached: by outcome, to see what the event flood costs it.</summary>
    private sealed class RequestCounter
    {
        private readonly IPage _page;
        private int _sessionReads;
        private int _statsReads;
        private int _other;
        private int _failed;
        private int _errors;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _reasons = new(StringComparer.Ordinal);

        public RequestCounter(IPage page)
        {
            _page = page;
            _page.Response += OnResponse;
            _page.RequestFailed += OnFailed;
        }

        public void Detach()
        {
            _page.Response -= OnResponse;
            _page.RequestFailed -= OnFailed;
        }

        public override string ToString() =>
            $"{_sessionReads} GET /sessions/{{id}}, {_statsReads} GET /stats, {_other} other answered; {_errors} answered ≥ 400, {_failed} failed without an answer"
            + (_reasons.IsEmpty ? "" : " (" + string.Join(", ", _reasons.Select(r => $"{r.Key}: {r.Value}")) + ")");

        private void OnResponse(object? sender, IResponse response)
        {
            var path = new Uri(response.Url).AbsolutePath;
            if (path.StartsWith($"{Api}/sessions/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _sessionReads);
            }
            else if (path == $"{Api}/stats")
            {
                Interlocked.Increment(ref _statsReads);
            }
            else
            {
                Interlocked.Increment(ref _other);
            }

            if (response.Status >= 400)
            {
                Interlocked.Increment(ref _errors);
            }
        }

        private void OnFailed(object? sender, Microsoft.Playwright.IRequest request)
        {
            Interlocked.Increment(ref _failed);
            var path = new Uri(request.Url).AbsolutePath;
            var what = path.StartsWith($"{Api}/sessions/", StringComparison.Ordinal) ? $"{Api}/sessions/{{id}}" : path;
            _reasons.AddOrUpdate($"{request.Method} {what} {request.Failure}", 1, (_, n) => n + 1);
        }
    }
}
