using System.Text.Json;

namespace SessionMesh.Cli.Run;

/// <summary>An MCP client configuration for the child: the mesh's /mcp endpoint and the child's own key.</summary>
internal static class McpConfigFile
{
    public static async Task WriteAsync(string path, string url, string key, CancellationToken cancellationToken)
    {
        var config = new Dictionary<string, object>
        {
            ["mcpServers"] = new Dictionary<string, object>
            {
                ["session-mesh"] = new Dictionary<string, object>
                {
                    ["type"] = "http",
                    ["url"] = url,
                    ["headers"] = new Dictionary<string, string> { ["Authorization"] = $"Bearer {key}" },
                },
            },
        };
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // The file holds a key: readable by its owner only.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(full, options))
        {
            await JsonSerializer.SerializeAsync(stream, config, CliJson.Pretty, cancellationToken);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
