# The SessionMesh silo image (one image, any number of silos).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish silo/SessionMesh.Silo.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# HTTP API + dashboard, silo-to-silo, Orleans gateway.
EXPOSE 8080 11111 30000
ENV SessionMesh__HttpUrl=http://0.0.0.0:8080 \
    SessionMesh__DataDirectory=/data
ENTRYPOINT ["dotnet", "SessionMesh.Silo.dll"]
