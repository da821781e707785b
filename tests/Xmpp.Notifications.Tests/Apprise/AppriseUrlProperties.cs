using CsCheck;
using Xmpp.Notifications.Apprise;

namespace Xmpp.Notifications.Tests.Apprise;

/// <summary>
/// Generated Apprise URLs: passwords full of URL delimiters and percent-escapes, assorted targets and parameters.
/// The parser must round-trip them, through the full and through the redacted form, and never show the password.
/// </summary>
public sealed class AppriseUrlProperties
{
    // Every delimiter the grammar gives meaning to, plus escapes and the mask itself.
    private const string Delimiters = ":/@?#&=%+;, !*'()[]$~\\\"<>{}|^`****";

    /// <summary>A password: a random core that cannot occur by chance elsewhere, wrapped in delimiters and escapes.</summary>
    private static readonly Gen<(string Password, string Core)> Password =
        Gen.Select(
            Gen.String[Gen.Char[Delimiters + "%41%2F%40%25%3A"], 0, 8],
            Gen.String[Gen.Char["ABCDEFGHJKLMNPQRSTUVWXYZ23456789"], 10, 10],
            Gen.OneOfConst("", "é", "€", "😀", "%", "%%", "%zz", "%2", "****", "\\u0041").Array[0, 4].Select(string.Concat),
            (before, core, after) => (before + core + after, core));

    private static readonly Gen<string> Target = Gen.OneOfConst(
        "bob", "bob@example.net", "carol@example.org%2Fphone", "%23ops@conference.example.org", "#ops@conference.example.org", "dave");

    private static readonly Gen<string> Parameter = Gen.OneOfConst(
        "mode=tls", "mode=s", "mode=none", "verify=no", "verify=yes", "subject=yes", "retry=3", "wait=2.5", "format=markdown",
        "overflow=split", "overflow=truncate", "name=alerts_bot", "to=erin,frank;grace", "cto=7", "rto=9", "optional=yes",
        "scramplus=no", "keepalive=yes", "roster=no", "xmpp=127.0.0.1");

    private static readonly Gen<(string Url, string Password, string Core)> Url =
        Gen.Select(
            Password,
            Gen.OneOfConst("xmpp", "xmpps"),
            Gen.OneOfConst("example.org", "chat.example.org"),
            Gen.OneOfConst("", ":5222", ":15223"),
            Target.Array[0, 3],
            Parameter.Array[0, 4],
            (password, scheme, host, port, targets, parameters) =>
            {
                var path = targets.Length == 0 ? "" : "/" + string.Join('/', targets);
                var query = parameters.Length == 0 ? "" : "?" + string.Join('&', parameters.DistinctBy(p => p[..p.IndexOf('=', StringComparison.Ordinal)]));
                return ($"{scheme}://alice:{Uri.EscapeDataString(password.Password)}@{host}{port}{path}{query}", password.Password, password.Core);
            });

    /// <summary>Breaks a valid URL in one place, each in a way the parser must reject.</summary>
    private static readonly Gen<string> Breakage = Gen.OneOfConst(
        "mode=bogus", "retry=99", "wait=-1", "verify=maybe", "cto=0", "rto=1e9", "format=pdf", "overflow=explode", "subject=perhaps");

    [Fact]
    public void Parsed_urls_round_trip_through_the_full_form()
    {
        Url.Sample((url, password, _) =>
        {
            var plan = AppriseXmppUrl.Parse(url);
            Assert.Equal(password, plan.Password);
            var again = AppriseXmppUrl.Parse(plan.ToUrl(includePassword: true));
            Assert.Equal(plan, again);
            Assert.Equal(plan.ToUrl(includePassword: true), again.ToUrl(includePassword: true));
        }, iter: 2000);
    }

    [Fact]
    public void The_redacted_form_parses_to_the_same_plan_with_the_mask_as_password()
    {
        Url.Sample((url, _, _) =>
        {
            var plan = AppriseXmppUrl.Parse(url);
            var redacted = plan.ToString();
            var reparsed = AppriseXmppUrl.Parse(redacted);
            Assert.Equal("****", reparsed.Password);
            Assert.Equal(redacted, reparsed.ToString());
            Assert.Equal(plan.LoginJid, reparsed.LoginJid);
            Assert.Equal(plan.Targets, reparsed.Targets);
            Assert.Equal((plan.Port, plan.Mode, plan.Retry, plan.Format, plan.Overflow), (reparsed.Port, reparsed.Mode, reparsed.Retry, reparsed.Format, reparsed.Overflow));
        }, iter: 2000);
    }

    [Fact]
    public void The_password_never_shows_in_ToString_notes_or_the_dry_run()
    {
        Url.Sample((url, password, core) =>
        {
            var plan = AppriseXmppUrl.Parse(url);
            using var buffer = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
                plan.WriteDryRun(writer);
            var shown = string.Join("\n", [plan.ToString(), plan.ToUrl(includePassword: false), .. plan.Notes, .. plan.IgnoredParameters,
                .. plan.InvalidTargets.Select(t => t.Text + t.Reason), System.Text.Encoding.UTF8.GetString(buffer.ToArray())]);
            AssertHidden(shown, password, core);
        }, iter: 2000);
    }

    [Fact]
    public void Errors_about_any_other_part_never_show_the_password()
    {
        Gen.Select(Url, Breakage).Sample((generated, breakage) =>
        {
            var (url, password, core) = generated;
            var broken = url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + breakage;
            Assert.False(AppriseXmppUrl.TryParse(broken, out _, out var error), broken);
            AssertHidden(error!.Message + "\n" + error, password, core);
            AssertHidden(UrlRedaction.Redact(broken), password, core);
        }, iter: 2000);
    }

    [Fact]
    public void Arbitrary_text_is_parsed_or_rejected_with_AppriseUrlException_only()
    {
        Gen.String[Gen.Char["xmps:/@?#&=%;,.abc123[]" + "\u0000\u00e9"], 0, 60].Select(s => "xmpps://" + s).Sample(text =>
        {
            if (!AppriseXmppUrl.TryParse(text, out var plan, out var error))
                Assert.IsType<AppriseUrlException>(error);
            else
                Assert.NotNull(plan);
        }, iter: 5000);
    }

    private static void AssertHidden(string shown, string password, string core)
    {
        Assert.DoesNotContain(core, shown, StringComparison.Ordinal);
        Assert.DoesNotContain(password, shown, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(password), shown, StringComparison.Ordinal);
    }
}
