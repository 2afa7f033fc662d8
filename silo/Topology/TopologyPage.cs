using System.Collections.Frozen;
using System.Reflection;

namespace SessionMesh.Silo.Topology;

/// <summary>
/// The live topology page at /topology, served by every silo from resources embedded in the silo
/// (nothing fetched from the internet at run time). The page itself needs no key; it signs in by
/// sending the operator's key as a Bearer header on its API calls. A strict content security
/// policy: scripts and styles only from this origin, no inline script.
/// </summary>
public static class TopologyPage
{
    public const string Path = "/topology";

    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType)> Assets = Load();

    public static IEndpointRouteBuilder MapTopologyPage(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (HttpContext http) => Serve(http, "index.html")).ExcludeFromDescription();
        app.MapGet(Path + "/{file}", (HttpContext http, string file) => Serve(http, file)).ExcludeFromDescription();
        app.MapGet("/", (HttpContext http) => Serve(http, "home.html")).ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext http, string file)
    {
        if (!Assets.TryGetValue(file, out var asset))
        {
            return TypedResults.NotFound();
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        return TypedResults.Bytes(asset.Body, asset.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        const string prefix = "SessionMesh.Topology.";
        var assembly = Assembly.GetExecutingAssembly();
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var file = name[prefix.Length..];
            var type = System.IO.Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[file] = (buffer.ToArray(), type);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
