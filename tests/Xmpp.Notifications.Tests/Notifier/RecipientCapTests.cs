using System.Net;
using System.Net.Sockets;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Notifier;

/// <summary>
/// The notifier's recipient and size caps refuse the whole call before any connection is opened, so a capped fan-out
/// is never half sent; the refusal is a Rejected outcome naming the cap (and the first recipient over it).
/// </summary>
public sealed class RecipientCapTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public RecipientCapTests() => _listener.Start();

    private string Url(string targets = "bob") => $"xmpp://alice:Cap-s3cret@127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{targets}";

    private async Task<UrlOutcome> RefusedAsync(XmppNotifierOptions options, IReadOnlyList<Notification> notifications, string? url = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = await new XmppNotifier(options: options).NotifyAsync([url ?? Url()], notifications, cts.Token);
        Assert.False(result.Success);
        var outcome = Assert.Single(result.Urls);
        Assert.Equal(NotifyFailureKind.Rejected, outcome.Failure);
        Assert.False(outcome.Optional);
        Assert.Contains("nothing was sent", outcome.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Cap-s3cret", outcome.Url + outcome.Error, StringComparison.Ordinal);
        // Nothing connected to the server's port: refused before any session.
        Assert.False(_listener.Pending());
        return outcome;
    }

    private static Notification To(int first, int count) =>
        new("Disk", "full") { Targets = Enumerable.Range(first, count).Select(i => $"user{i}@example.org").ToList() };

    [Fact]
    public async Task A_notification_naming_more_recipients_than_the_cap_is_refused_naming_the_first_one_over()
    {
        var outcome = await RefusedAsync(new XmppNotifierOptions(), [To(0, 40_994)]);
        Assert.Contains("40994 recipients", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("'user50@example.org'", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("maxRecipientsPerNotification", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notifications_each_within_the_cap_are_refused_when_together_they_exceed_the_invocation_cap()
    {
        var batch = Enumerable.Range(0, 5).Select(i => To(i * 50, 50)).ToList();
        var outcome = await RefusedAsync(new XmppNotifierOptions(), batch);
        Assert.Contains("maxRecipientsPerInvocation", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("at most 200", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_url_targets_count_towards_the_invocation_cap()
    {
        var outcome = await RefusedAsync(new XmppNotifierOptions { MaxRecipientsPerCall = 5 }, [new("a", "1"), new("b", "2")], Url("bob/carol/dave"));
        Assert.Contains("6 recipients", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("maxRecipientsPerInvocation", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Total_text_bytes_over_the_cap_are_refused()
    {
        var body = new string('x', 5_000);
        var outcome = await RefusedAsync(new XmppNotifierOptions { MaxStanzaBytesPerCall = 10_000 }, [new(null, body), new(null, body), new(null, body)]);
        Assert.Contains("maxStanzaBytesPerInvocation", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("at most 10000", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Within_every_cap_nothing_is_refused()
    {
        var options = new XmppNotifierOptions();
        Assert.Null(XmppNotifier.ExceedsLimits([Url()], [To(0, 50), To(50, 50), To(100, 50), To(150, 50)], options));
        Assert.Null(XmppNotifier.ExceedsRecipientLimits([To(0, 50)], options));
        // Repeated targets are one recipient.
        Assert.Null(XmppNotifier.ExceedsRecipientLimits([new("a", "b") { Targets = Enumerable.Repeat("bob", 500).ToList() }], options));
    }

    [Fact]
    public async Task Recipients_url_refuses_a_message_target_that_is_not_one_of_the_urls_own()
    {
        var outcome = await RefusedAsync(new XmppNotifierOptions(), [new("a", "b") { Targets = ["bob", "mallory@evil.example"] }], Url("bob?recipients=url"));
        Assert.Contains("'mallory@evil.example'", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("recipients=url", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recipients_domain_from_the_binding_refuses_another_domain_and_allows_subdomains_and_listed_domains()
    {
        var options = new XmppNotifierOptions { Recipients = RecipientPolicy.Domain, AllowedRecipientDomains = ["partner.example"] };
        var url = "xmpp://alice:Cap-s3cret@example.org/bob";
        Assert.Null(XmppNotifier.ExceedsLimits([url], [new("a", "b") { Targets = ["carol", "#ops@conference.example.org", "dave@partner.example", "eve@eu.partner.example"] }], options));

        var outcome = await RefusedAsync(options, [new("a", "b") { Targets = ["carol", "mallory@notexample.org"] }], Url("bob"));
        Assert.Contains("'mallory@notexample.org'", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("allowedRecipientDomains", outcome.Error, StringComparison.Ordinal);

        // A suffix that is not a subdomain is another domain.
        Assert.NotNull(XmppNotifier.ExceedsLimits([url], [new("a", "b") { Targets = ["x@evilexample.org"] }], options));
        // The URL's own setting wins over the binding's default.
        Assert.Null(XmppNotifier.ExceedsLimits([url + "?recipients=any"], [new("a", "b") { Targets = ["x@anywhere.example"] }], options));
        // The URL's own targets are the operator's and always allowed.
        Assert.Null(XmppNotifier.ExceedsLimits(["xmpp://alice:p@example.org/ops@other.example?recipients=domain"], [new("a", "b")], options));
    }

    public void Dispose() => _listener.Stop();
}
