using System.Text.RegularExpressions;
using SessionMesh.Tests.Infrastructure;
using SessionMesh.Tests.Tls;
using Xunit.Abstractions;

namespace SessionMesh.Tests.Readme;

/// <summary>
/// Every ```csharp block of README.md, exactly as written, is built as its own console app
/// (referencing client/ like a user's app would) and run against a real embedded silo started on
/// free ports; the app finds the silo through the same SessionMesh__* settings a user would set.
/// </summary>
[Trait("Category", "Process")]
public sealed partial class ReadmeCSharpTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Every_csharp_block_in_the_README_builds_and_runs_against_a_real_silo()
    {
        var root = Repository.Root;
        var blocks = CSharpBlock().Matches(await File.ReadAllTextAsync(Path.Combine(root, "README.md"))).Select(m => m.Groups["code"].Value).ToList();
        Assert.True(blocks.Count >= 2, $"expected the README's C# blocks, found {blocks.Count}");

        await using var silo = await TlsSilo.StartAsync();
        var work = Directory.CreateTempSubdirectory("sessionmesh-readme-").FullName;
        try
        {
            await BuildAndRunAsync(root, blocks, work, silo);
        }
        finally
        {
            Directory.Delete(work, recursive: true); // a console project and its build per block
        }
    }

    private async Task BuildAndRunAsync(string root, List<string> blocks, string work, TlsSilo silo)
    {
        for (var i = 0; i < blocks.Count; i++)
        {
            var project = Path.Combine(work, $"block{i + 1}");
            Directory.CreateDirectory(project);
            await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), blocks[i]);
            await File.WriteAllTextAsync(Path.Combine(project, $"ReadmeBlock{i + 1}.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{Path.Combine(root, "client", "SessionMesh.Client.csproj")}" />
                  </ItemGroup>
                </Project>
                """);

            var build = await RunAsync("dotnet", ["build", "-c", "Release", "--nologo", "-v", "quiet", "-o", Path.Combine(project, "out")], project, []);
            Assert.True(build.ExitCode == 0, $"README C# block {i + 1} does not build:\n{build.Output}\n--- block ---\n{blocks[i]}");

            var run = await RunAsync("dotnet", [Path.Combine(project, "out", $"ReadmeBlock{i + 1}.dll")], project, new()
            {
                ["SessionMesh__GatewayPort"] = silo.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SessionMesh__DataDirectory"] = silo.DataDirectory,
            });
            output.WriteLine($"--- README C# block {i + 1} ---\n{run.Output}");
            Assert.True(run.ExitCode == 0, $"README C# block {i + 1} exited {run.ExitCode}:\n{run.Output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, string[] args, string directory, Dictionary<string, string?> environment)
    {
        var run = await ChildProcess.RunAsync(command, args, Bound, directory, environment);
        return (run.ExitCode, run.Output);
    }

    [GeneratedRegex(@"^```csharp[ \t]*\r?\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
