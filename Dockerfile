# The SessionMesh silo image (one image, any number of silos).
# The SDK and runtime are pinned by version: a newer SDK's analyzers can fail a warnings-as-errors build.
ARG DOTNET_SDK=10.0.100
ARG DOTNET_RUNTIME=10.0.0
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_SDK} AS build
WORKDIR /src
# Restore first, from the project files alone, so a source change reuses the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY contracts/SessionMesh.Contracts.csproj contracts/
COPY grain-interfaces/SessionMesh.GrainInterfaces.csproj grain-interfaces/
COPY grains/SessionMesh.Grains.csproj grains/
COPY storage/SessionMesh.Storage.csproj storage/
COPY client/SessionMesh.Client.csproj client/
COPY silo/SessionMesh.Silo.csproj silo/
RUN dotnet restore silo/SessionMesh.Silo.csproj
COPY contracts/ contracts/
COPY grain-interfaces/ grain-interfaces/
COPY grains/ grains/
COPY storage/ storage/
COPY client/ client/
COPY silo/ silo/
RUN dotnet publish silo/SessionMesh.Silo.csproj -c Release -o /app --no-restore --nologo

# The runtime image: no SDK, no compiler (the silo ships without Roslyn, see silo/SessionMesh.Silo.csproj).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_RUNTIME}
WORKDIR /app
COPY --from=build /app .
# Runs as the image's unprivileged 'app' user; its data directory is the only place it writes.
RUN mkdir -p /data && chown app:app /data
USER app
# HTTP API + dashboard + /metrics (ASPNETCORE_HTTP_PORTS), silo-to-silo, Orleans gateway.
EXPOSE 8080 11111 30000
ENV ASPNETCORE_HTTP_PORTS=8080 \
    SessionMesh__DataDirectory=/data \
    SessionMesh__AdvertisedAddress=auto
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["dotnet", "SessionMesh.Silo.dll", "health"]
ENTRYPOINT ["dotnet", "SessionMesh.Silo.dll"]
