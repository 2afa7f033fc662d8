using System.CommandLine;

namespace SessionMesh.Cli;

/// <summary>Options every command takes, and what they resolve to.</summary>
public static class Globals
{
    public const string DefaultUrl = "http://127.0.0.1:5280";

    public static readonly Option<string?> Url = new("--url")
    {
        Description = $"The silo's HTTP address (default: $SESSION_MESH_URL or {DefaultUrl}).",
        Recursive = true,
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "The session key (default: $SESSION_API_KEY).",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print each request and response line to stderr (never the key).",
        Recursive = true,
    };

    public static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "table (default) or json (the API's JSON, stable for scripts).",
        DefaultValueFactory = _ => "table",
        Recursive = true,
    };

    static Globals() => Output.AcceptOnlyFromAmong("table", "json");

    /// <summary>The HTTP client for a parsed command line.</summary>
    public static MeshHttp Http(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var url = parse.GetValue(Url) ?? Environment.GetEnvironmentVariable("SESSION_MESH_URL") ?? DefaultUrl;
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw new CliException(ExitCodes.Usage, $"--url: '{url}' is not an http(s) address.");
        }

        var key = parse.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable("SESSION_API_KEY");
        return new MeshHttp(baseUrl, key, parse.GetValue(Verbose), Console.Error);
    }

    public static Output Out(ParseResult parse) => new(parse.GetValue(Output) == "json", Console.Out);
}
