namespace SessionMesh.Cli;

/// <summary>Exit codes: what a script can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int Auth = 4;
}

/// <summary>A failure to report as one line on stderr with an exit code; never a stack trace.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
