using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using SessionMesh.Silo.Api.Auth;

namespace SessionMesh.Tests.Http;

/// <summary>
/// Failed authentications are throttled per client address (429 with Retry-After); unknown key ids
/// never reach a key grain or the database; a good client is never throttled by another's failures.
/// Each test has its own silo, so its throttling touches no other test.
/// </summary>
[Trait("Category", "Http")]
public sealed class ThrottleTests
{
    private const string Stats = "/api/session-mesh/stats";

    [Fact]
    public async Task Twenty_thousand_random_keys_are_refused_without_activating_a_key_grain_and_a_good_client_is_never_throttled()
    {
        await using var silo = await HttpSilo.StartAsync();
        var good = silo.Admin; // from 127.0.0.1, the attacker from 127.0.0.2
        var verifier = silo.Services.GetRequiredService<KeyVerifier>();
        var before = await KeyGrainActivationsAsync(silo);
        var verificationsBefore = verifier.GrainVerifications;

        using var attacker = silo.From("127.0.0.2");
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<HttpStatusCode, int>();
        var retryAfterSeen = 0;
        var next = 0;
        const int total = 20_000;
        async Task AttackAsync()
        {
            while (Interlocked.Increment(ref next) <= total)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, Stats);
                request.Headers.TryAddWithoutValidation("Authorization", $"Bearer smk_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}_{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=')}");
                using var response = await attacker.SendAsync(request);
                counts.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter is not null)
                {
                    Interlocked.Increment(ref retryAfterSeen);
                }
            }
        }

        async Task GoodClientAsync()
        {
            while (Volatile.Read(ref next) < total)
            {
                using var response = await good.GetAsync(Stats);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await Task.WhenAll([.. Enumerable.Range(0, 8).Select(_ => AttackAsync()), GoodClientAsync()]);

        Assert.Equal(total, counts.Values.Sum());
        Assert.All(counts.Keys, status => Assert.True(status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"got {status}"));
        Assert.True(counts.GetValueOrDefault(HttpStatusCode.TooManyRequests) > total / 2, $"throttled: {counts.GetValueOrDefault(HttpStatusCode.TooManyRequests)}");
        Assert.Equal(counts.GetValueOrDefault(HttpStatusCode.TooManyRequests), retryAfterSeen);
        Assert.Equal(verificationsBefore, verifier.GrainVerifications);
        Assert.Equal(before, await KeyGrainActivationsAsync(silo));

        // A throttled address is refused even with a real key. Its bucket gets tokens back every 10 s,
        // so spend them again first; if a refill still falls between, try once more.
        using var attackerWithKey = silo.Client(HttpSilo.AdminKey, "127.0.0.2");
        HttpResponseMessage throttled;
        var tries = 0;
        while (true)
        {
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, Stats);
                request.Headers.TryAddWithoutValidation("Authorization", $"Bearer smk_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}_{new string('x', 43)}");
                using var bad = await attacker.SendAsync(request);
                if (bad.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    break;
                }
            }

            throttled = await attackerWithKey.GetAsync(Stats);
            if (throttled.StatusCode != HttpStatusCode.OK || ++tries == 3)
            {
                break;
            }

            throttled.Dispose();
        }

        using var refused = throttled;
        var problem = await HttpSilo.AssertProblemAsync(throttled, HttpStatusCode.TooManyRequests);
        Assert.NotNull(throttled.Headers.RetryAfter);
        Assert.Contains("retry", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        using var stillGood = await good.GetAsync(Stats);
        Assert.Equal(HttpStatusCode.OK, stillGood.StatusCode);
    }

    [Fact]
    public async Task Wrong_dashboard_logins_are_throttled_per_address()
    {
        await using var silo = await HttpSilo.StartAsync();
        using var browser = silo.From("127.0.0.3", cookies: true);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await DashboardLogin.LoginAsync(browser, "smk_0123456789abcdef_wrongwrongwrongwrongwrongwrongwrong");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                await HttpSilo.AssertProblemAsync(response, HttpStatusCode.TooManyRequests);
            }
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"got {s}"));

        // Another address signs in at once.
        using var other = silo.From("127.0.0.4", cookies: true);
        using var signedIn = await DashboardLogin.LoginAsync(other, HttpSilo.AdminKey);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    private static async Task<int> KeyGrainActivationsAsync(HttpSilo silo)
    {
        var management = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var statistics = await management.GetSimpleGrainStatistics();
        return statistics.Where(s => s.GrainType.Contains("SessionKey", StringComparison.OrdinalIgnoreCase)).Sum(s => s.ActivationCount);
    }
}
