using SessionMesh.Silo.Hosting;
using SessionMesh.Silo.Security;

// Verbs first (each a few lines elsewhere); anything else runs the silo.
return args switch
{
    ["health", .. var rest] => await HealthProbe.RunAsync(rest),
    _ when TlsInitCommand.Matches(args) => TlsInitCommand.Run(args, Console.Out, Console.Error),
    _ => await SiloApp.RunAsync(args),
};
