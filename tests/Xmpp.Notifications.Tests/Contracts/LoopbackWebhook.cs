using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>One form post a <see cref="LoopbackWebhook"/> received; <see cref="Number"/> counts from 1 since the last <see cref="LoopbackWebhook.Take"/>.</summary>
public sealed record WebhookPost(int Number, string ContentType, Dictionary<string, string> Fields)
{
    public string this[string field] => Fields[field];
}

/// <summary>
/// A real webhook on loopback (Kestrel) that records each form post and answers with <see cref="Status"/>, after
/// <see cref="OnPost"/> and an optional delay. Used by the forwarding tests here and the function app's end-to-end test.
/// </summary>
public sealed class LoopbackWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private LoopbackWebhook(WebApplication app) => _app = app;

    public Uri Uri { get; private set; } = null!;

    public ConcurrentQueue<WebhookPost> Posts { get; } = new();

    public Func<WebhookPost, int> Status { get; set; } = _ => 200;

    /// <summary>Runs while a post is being answered.</summary>
    public Func<WebhookPost, Task>? OnPost { get; set; }

    public TimeSpan? Delay { get; set; }

    public static async Task<LoopbackWebhook> StartAsync(Func<WebhookPost, int>? status = null, TimeSpan? delay = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var hook = new LoopbackWebhook(app) { Delay = delay };
        if (status is not null)
            hook.Status = status;
        app.Run(async context =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var post = new WebhookPost(Interlocked.Increment(ref hook._count), context.Request.ContentType ?? "", form.ToDictionary(f => f.Key, f => f.Value.ToString()));
            hook.Posts.Enqueue(post);
            if (hook.OnPost is { } onPost)
                await onPost(post);
            if (hook.Delay is { } d)
                await Task.Delay(d, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            context.Response.StatusCode = hook.Status(post);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hook.Uri = new Uri(new Uri(address), "/inbox");
        return hook;
    }

    /// <summary>The posts so far, removed, and the post count restarted.</summary>
    public IReadOnlyList<WebhookPost> Take()
    {
        var taken = new List<WebhookPost>();
        while (Posts.TryDequeue(out var post))
            taken.Add(post);
        Interlocked.Exchange(ref _count, 0);
        return taken;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
