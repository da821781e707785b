using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace XmppNotify.FunctionApp.Inbox;

/// <summary>
/// A storage connection named by an app setting, the way the Functions host reads its own: the setting itself is a
/// connection string (Azurite: <c>UseDevelopmentStorage=true</c>), or <c>NAME__blobServiceUri</c> /
/// <c>NAME__queueServiceUri</c> with an optional <c>NAME__clientId</c> for a user-assigned managed identity.
/// </summary>
internal static class StorageConnection
{
    public static BlobServiceClient Blob(string name) =>
        Setting(name) is { } connectionString
            ? new BlobServiceClient(connectionString)
            : new BlobServiceClient(ServiceUri(name, "blobServiceUri"), Credential(name));

    public static QueueServiceClient Queue(string name, QueueClientOptions options) =>
        Setting(name) is { } connectionString
            ? new QueueServiceClient(connectionString, options)
            : new QueueServiceClient(ServiceUri(name, "queueServiceUri"), Credential(name), options);

    public static string? Setting(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <summary>Whether the setting names a connection at all (a connection string or any <c>NAME__…</c> part).</summary>
    public static bool IsSet(string name) =>
        Setting(name) is not null || Setting(name + "__blobServiceUri") is not null || Setting(name + "__queueServiceUri") is not null;

    private static Uri ServiceUri(string name, string part) =>
        Setting(name + "__" + part) is { } uri && Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"Set {name} (a connection string) or {name}__{part} (with a managed identity).");

    private static TokenCredential Credential(string name) =>
        Setting(name + "__clientId") is { } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
}
