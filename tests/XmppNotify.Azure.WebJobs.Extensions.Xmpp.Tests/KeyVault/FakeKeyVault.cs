using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.KeyVault;

/// <summary>
/// A local HTTPS endpoint speaking the Key Vault secrets REST contract as SecretClient uses it: an unauthenticated
/// request gets 401 with a Bearer challenge naming the tenant and resource; GET /secrets/{name}[/{version}] with the
/// bearer token returns <c>{"value","id","attributes"}</c>; unknown secrets get 404 <c>SecretNotFound</c>.
/// </summary>
public sealed class FakeKeyVault : IAsyncDisposable
{
    public const string Token = "test-access-token";
    public const string Tenant = "72f988bf-0000-0000-0000-000000000000";

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly ConcurrentDictionary<string, List<(string Version, string Value)>> _secrets = new(StringComparer.OrdinalIgnoreCase);

    private FakeKeyVault(WebApplication app, X509Certificate2 certificate, Uri uri)
    {
        _app = app;
        _certificate = certificate;
        VaultUri = uri;
    }

    /// <summary>The vault's name as clients use it: a Key Vault host name that only <see cref="ClientOptions"/> can reach.</summary>
    public const string HostName = "contract-test.vault.azure.net";

    public Uri VaultUri { get; }

    /// <summary>The same endpoint by its loopback address (not a Key Vault host: the resolver must refuse it unread).</summary>
    public Uri LoopbackUri { get; private init; } = null!;

    /// <summary>The resource the Bearer challenge names; another cloud's makes SecretClient refuse the vault.</summary>
    public string ChallengeResource { get; set; } = "https://vault.azure.net";

    /// <summary>Authorized secret reads per secret name.</summary>
    public ConcurrentDictionary<string, int> Reads { get; } = new(StringComparer.OrdinalIgnoreCase);

    private int _challenges;

    /// <summary>Requests answered with the 401 Bearer challenge.</summary>
    public int Challenges => Volatile.Read(ref _challenges);

    public ConcurrentQueue<string> ApiVersions { get; } = new();

    /// <summary>An outage to simulate on every request until set back to <see cref="KeyVaultFault.None"/>.</summary>
    public KeyVaultFault Fault { get; set; }

    private int _faulted;

    /// <summary>Requests answered (or left hanging) by <see cref="Fault"/>.</summary>
    public int Faulted => Volatile.Read(ref _faulted);

    public static async Task<FakeKeyVault> StartAsync()
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        FakeKeyVault? vault = null;
        app.Run(context => vault!.HandleAsync(context));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(timeout.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        // A name under vault.azure.net (the resolver refuses other hosts), routed to this loopback port by ClientOptions().
        var port = new Uri(address).Port;
        vault = new FakeKeyVault(app, certificate, new Uri($"https://{HostName}:{port}/")) { LoopbackUri = new Uri($"https://127.0.0.1:{port}/") };
        return vault;
    }

    /// <summary>Adds a new version of a secret, which becomes the current one.</summary>
    public string SetSecret(string name, string value)
    {
        string version = Guid.NewGuid().ToString("N");
        _secrets.AddOrUpdate(name, _ => [(version, value)], (_, list) => { lock (list) { list.Add((version, value)); } return list; });
        return version;
    }

    public Uri SecretUri(string name, string? version = null) => new(VaultUri, version is null ? $"secrets/{name}" : $"secrets/{name}/{version}");

    /// <summary>Client options trusting exactly this endpoint's certificate; no retries, so failures show at once.</summary>
    public SecretClientOptions ClientOptions()
    {
        var expected = _certificate.RawData;
#pragma warning disable CA2000 // The transport owns the handler for the test's lifetime.
        var port = VaultUri.Port;
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetRawCertData().AsSpan().SequenceEqual(expected) },
            // Every host name connects to this endpoint: the contract-test vault name resolves nowhere else.
            ConnectCallback = async (_, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port, ct);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
#pragma warning restore CA2000
        var options = new SecretClientOptions
        {
            Transport = new HttpClientTransport(handler),
            // The vault's name ends in .vault.azure.net, so SecretClient's challenge check runs as it does against Azure.
        };
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return options;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        switch (Fault)
        {
            case KeyVaultFault.ServiceUnavailable:
                Interlocked.Increment(ref _faulted);
                context.Response.StatusCode = 503;
                await context.Response.WriteAsJsonAsync(new { error = new { code = "ServiceUnavailable", message = "The service is unavailable." } });
                return;
            case KeyVaultFault.Throttled or KeyVaultFault.Forbidden:
                Interlocked.Increment(ref _faulted);
                context.Response.StatusCode = Fault == KeyVaultFault.Throttled ? 429 : 403;
                await context.Response.WriteAsJsonAsync(new { error = Fault == KeyVaultFault.Throttled
                    ? new { code = "Throttled", message = "Too many requests." }
                    : new { code = "Forbidden", message = "The user does not have secrets get permission." } });
                return;
            case KeyVaultFault.Stall:
                Interlocked.Increment(ref _faulted);
                // No answer until the client gives up (bounded by the client's own timeout).
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
        }

        var auth = request.Headers.Authorization.ToString();
        if (auth != $"Bearer {Token}")
        {
            Interlocked.Increment(ref _challenges);
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate =
                $"Bearer authorization=\"https://login.microsoftonline.com/{Tenant}\", resource=\"{ChallengeResource}\"";
            return;
        }

        ApiVersions.Enqueue(request.Query["api-version"].ToString());
        var segments = request.Path.Value!.Trim('/').Split('/');
        if (request.Method != "GET" || segments.Length is < 2 or > 3 || segments[0] != "secrets")
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = new { code = "BadParameter", message = "Unsupported request." } });
            return;
        }

        string name = segments[1];
        string? version = segments.Length == 3 && segments[2].Length > 0 ? segments[2] : null;
        (string Version, string Value)? found = null;
        if (_secrets.TryGetValue(name, out var versions))
        {
            lock (versions)
            {
                found = version is null ? versions[^1] : versions.FirstOrDefault(v => v.Version == version) is var match && match.Version is not null ? match : null;
            }
        }

        if (found is null)
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsJsonAsync(new
            {
                error = new { code = "SecretNotFound", message = $"A secret with (name/id) {name} was not found in this key vault." },
            });
            return;
        }

        Reads.AddOrUpdate(name, 1, (_, n) => n + 1);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await context.Response.WriteAsJsonAsync(new
        {
            value = found.Value.Value,
            id = new Uri(VaultUri, $"secrets/{name}/{found.Value.Version}").ToString(),
            attributes = new { enabled = true, created = now, updated = now, recoveryLevel = "Recoverable+Purgeable", recoverableDays = 90 },
            tags = new { },
        });
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        _certificate.Dispose();
    }
}

/// <summary>Outages a <see cref="FakeKeyVault"/> can simulate.</summary>
public enum KeyVaultFault
{
    None,

    /// <summary>HTTP 503 with a ServiceUnavailable error body.</summary>
    ServiceUnavailable,

    /// <summary>Accepts the request and never answers.</summary>
    Stall,

    /// <summary>HTTP 429 with a Throttled error body.</summary>
    Throttled,

    /// <summary>HTTP 403 with a Forbidden error body (a clear refusal, not an outage).</summary>
    Forbidden,
}

/// <summary>Returns one fixed token (no Azure AD here) and records what was asked for.</summary>
public sealed class FixedTokenCredential : TokenCredential
{
    public ConcurrentQueue<TokenRequestContext> Requests { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Requests.Enqueue(requestContext);
        return new AccessToken(FakeKeyVault.Token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => Now;
}
