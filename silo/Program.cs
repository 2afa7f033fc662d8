using SessionMesh.Silo.Hosting;
using SessionMesh.Silo.Security;

if (TlsInitCommand.Matches(args))
{
    return TlsInitCommand.Run(args, Console.Out, Console.Error);
}

try
{
    await SiloApp.Create(args).RunAsync();
    return 0;
}
catch (MeshTlsConfigurationException e)
{
    await Console.Error.WriteLineAsync($"SessionMesh silo not started: {e.Message}");
    return 1;
}
