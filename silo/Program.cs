using SessionMesh.Silo.Hosting;

// Verbs first (each a few lines elsewhere); anything else runs the silo.
return args switch
{
    ["health", .. var rest] => await HealthProbe.RunAsync(rest),
    _ => await SiloApp.RunAsync(args),
};
