# The silo as a container image:  docker build -t orleans-broker .
# Localhost clustering listens on the container's loopback only, so a container joins a cluster through Azure:
#   docker run -p 30000:30000 -p 8080:8080 -e Broker__Clustering=AzureTable -e Broker__Storage=Azure \
#     -e Broker__Azure__ConnectionString='DefaultEndpointsProtocol=...' orleans-broker
# On Kubernetes, deploy/kubernetes/ runs it with Kubernetes clustering and Azure storage.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone, so that a change of code reuses the restored packages.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig appsettings.json ./
COPY src/OrleansBroker.Records/OrleansBroker.Records.csproj src/OrleansBroker.Records/
COPY src/OrleansBroker.Abstractions/OrleansBroker.Abstractions.csproj src/OrleansBroker.Abstractions/
COPY src/OrleansBroker.Storage/OrleansBroker.Storage.csproj src/OrleansBroker.Storage/
COPY Grains/OrleansBroker.Grains.csproj Grains/
COPY Silo/OrleansBroker.Silo.csproj Silo/
RUN dotnet restore Silo/OrleansBroker.Silo.csproj
COPY src/OrleansBroker.Records/ src/OrleansBroker.Records/
COPY src/OrleansBroker.Abstractions/ src/OrleansBroker.Abstractions/
COPY src/OrleansBroker.Storage/ src/OrleansBroker.Storage/
COPY Grains/ Grains/
COPY Silo/ Silo/
RUN dotnet publish Silo/OrleansBroker.Silo.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# The image's unprivileged user (APP_UID) owns the data directory, which the File backend writes to.
RUN mkdir /data && chown "$APP_UID" /data
USER $APP_UID
# The management port is Broker:ManagementPort; the base image's ASPNETCORE_HTTP_PORTS would only earn a warning.
ENV Broker__DataDirectory=/data ASPNETCORE_HTTP_PORTS=
# Silo-to-silo, client gateway, management (health, metrics, dashboard).
EXPOSE 11111 30000 8080
ENTRYPOINT ["dotnet", "OrleansBroker.Silo.dll"]
