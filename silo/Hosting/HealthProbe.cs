namespace SessionMesh.Silo.Hosting;

/// <summary>
/// <c>dotnet SessionMesh.Silo.dll health [URL]</c>: asks a running silo's <c>/health/ready</c> and
/// exits 0 when it answers 200, else 1 — a container health check where the image has no curl.
/// The URL defaults to the port ASPNETCORE_HTTP_PORTS names (the container's), else SessionMesh:HttpUrl.
/// </summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var baseUrl = args.FirstOrDefault() ?? DefaultUrl();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(new Uri(new Uri(baseUrl.TrimEnd('/') + "/"), "health/ready"));
            Console.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            Console.Error.WriteLine($"{baseUrl}: {ex.Message}");
            return 1;
        }
    }

    private static string DefaultUrl()
    {
        var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS");
        if (!string.IsNullOrWhiteSpace(ports))
        {
            return $"http://127.0.0.1:{ports.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0]}";
        }

        return Environment.GetEnvironmentVariable("SessionMesh__HttpUrl") ?? new SessionMeshOptions().HttpUrl;
    }
}
