using SessionMesh.Silo.Hosting;

await SiloApp.Create(args).RunAsync();
