using System.Security.Authentication;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

public class SaslMechanismSelectionTests
{
    private static readonly SaslCredentials Credentials = new("user", "pencil");
    private static readonly ChannelBinding Binding = new("tls-unique", [1, 2, 3]);

    private static readonly string[] Everything =
        ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS"];

    private static string? Pick(IReadOnlyCollection<string> offered, ChannelBinding? binding = null, bool allowCb = true, bool allowPlain = true, IReadOnlyCollection<string>? allowed = null) =>
        SaslMechanisms.Select(offered, Credentials, binding, allowCb, allowPlain, allowed)?.Name;

    [Theory]
    [InlineData(new[] { "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512", "SCRAM-SHA-512-PLUS" }, "SCRAM-SHA-512-PLUS")]
    [InlineData(new[] { "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512" }, "SCRAM-SHA-256-PLUS")]
    [InlineData(new[] { "PLAIN", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-512" }, "SCRAM-SHA-1-PLUS")]
    [InlineData(new[] { "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512" }, "SCRAM-SHA-512")]
    [InlineData(new[] { "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256" }, "SCRAM-SHA-256")]
    [InlineData(new[] { "SCRAM-SHA-1", "PLAIN" }, "SCRAM-SHA-1")]
    [InlineData(new[] { "PLAIN", "DIGEST-MD5" }, "PLAIN")]
    [InlineData(new[] { "scram-sha-256" }, "SCRAM-SHA-256")]
    public void With_binding_the_strongest_offered_wins(string[] offered, string expected) =>
        Assert.Equal(expected, Pick(offered, Binding));

    [Fact]
    public void Without_binding_data_plus_is_never_chosen() =>
        Assert.Equal("SCRAM-SHA-512", Pick(Everything, binding: null));

    [Fact]
    public void With_channel_binding_disallowed_plus_is_never_chosen() =>
        Assert.Equal("SCRAM-SHA-512", Pick(Everything, Binding, allowCb: false));

    [Fact]
    public void Only_plus_offered_but_no_binding_yields_nothing() =>
        Assert.Null(Pick(["SCRAM-SHA-256-PLUS"], binding: null));

    [Fact]
    public void Plain_is_refused_when_not_allowed()
    {
        Assert.Null(Pick(["PLAIN"], allowPlain: false));
        Assert.Equal("PLAIN", Pick(["PLAIN"], allowPlain: true));
        Assert.IsType<SaslMechanismPlain>(SaslMechanisms.Select(["PLAIN"], Credentials, null, true, true, null));
    }

    [Fact]
    public void Allowed_set_restricts_the_choice()
    {
        Assert.Equal("SCRAM-SHA-256", Pick(Everything, Binding, allowed: ["SCRAM-SHA-256", "SCRAM-SHA-1"]));
        Assert.Equal("SCRAM-SHA-1-PLUS", Pick(Everything, Binding, allowed: ["SCRAM-SHA-1-PLUS", "PLAIN"]));
        Assert.Null(Pick(["PLAIN", "SCRAM-SHA-1"], Binding, allowed: ["SCRAM-SHA-256"]));
        Assert.Null(Pick(Everything, Binding, allowed: []));
    }

    [Fact]
    public void Nothing_offered_yields_nothing() => Assert.Null(Pick([], Binding));

    [Fact]
    public void Plus_uses_the_p_flag_with_the_binding_type()
    {
        var chosen = Assert.IsType<SaslMechanismScram>(SaslMechanisms.Select(Everything, Credentials, Binding, true, true, null));
        Assert.Equal("p=tls-unique,,", chosen.Gs2Header);
        Assert.True(chosen.UsesChannelBinding);
    }

    [Fact]
    public void Flag_y_when_we_have_binding_data_and_the_server_offers_no_plus()
    {
        var chosen = Assert.IsType<SaslMechanismScram>(
            SaslMechanisms.Select(["SCRAM-SHA-256", "SCRAM-SHA-1"], Credentials, Binding, true, false, null));
        Assert.Equal("SCRAM-SHA-256", chosen.Name);
        Assert.Equal("y,,", chosen.Gs2Header);
    }

    [Fact]
    public void Flag_n_when_the_server_offers_plus_but_it_is_not_used()
    {
        // -PLUS excluded by the allowed set although the server offers it: 'y' would be a false downgrade alarm.
        var excluded = Assert.IsType<SaslMechanismScram>(
            SaslMechanisms.Select(Everything, Credentials, Binding, true, false, ["SCRAM-SHA-256"]));
        Assert.Equal("n,,", excluded.Gs2Header);

        // -PLUS offered but we have no binding data (e.g. TLS 1.3 without XEP-0440).
        var noData = Assert.IsType<SaslMechanismScram>(SaslMechanisms.Select(Everything, Credentials, null, true, false, null));
        Assert.Equal("n,,", noData.Gs2Header);
    }

    [Fact]
    public void Flag_n_when_we_have_no_binding_data()
    {
        var chosen = Assert.IsType<SaslMechanismScram>(SaslMechanisms.Select(["SCRAM-SHA-256"], Credentials, null, true, false, null));
        Assert.Equal("n,,", chosen.Gs2Header);
    }

    [Fact]
    public void Flag_n_when_channel_binding_is_turned_off()
    {
        var chosen = Assert.IsType<SaslMechanismScram>(SaslMechanisms.Select(["SCRAM-SHA-256"], Credentials, Binding, false, false, null));
        Assert.Equal("n,,", chosen.Gs2Header);
    }

    private static Func<string, byte[]?> Available(params string[] types) =>
        type => types.Contains(type) ? [9, 9, 9] : null;

    [Fact]
    public void Advertised_types_pick_exporter_then_end_point_then_unique()
    {
        var all = Available("tls-exporter", "tls-server-end-point", "tls-unique");
        Assert.Equal("tls-exporter", SaslMechanisms.ChooseChannelBinding(["tls-unique", "tls-server-end-point", "tls-exporter"], SslProtocols.Tls13, all)?.Type);
        Assert.Equal("tls-server-end-point", SaslMechanisms.ChooseChannelBinding(["tls-unique", "tls-server-end-point"], SslProtocols.Tls13, all)?.Type);
        Assert.Equal("tls-unique", SaslMechanisms.ChooseChannelBinding(["tls-unique"], SslProtocols.Tls12, all)?.Type);
    }

    [Fact]
    public void Advertised_but_unavailable_types_are_skipped()
    {
        // .NET cannot produce tls-exporter: fall to the next advertised type we can produce.
        var binding = SaslMechanisms.ChooseChannelBinding(
            ["tls-exporter", "tls-server-end-point"], SslProtocols.Tls13, Available("tls-server-end-point", "tls-unique"));
        Assert.Equal("tls-server-end-point", binding?.Type);
        Assert.Equal(new byte[] { 9, 9, 9 }, binding?.Data);

        Assert.Null(SaslMechanisms.ChooseChannelBinding(["tls-exporter"], SslProtocols.Tls13, Available("tls-unique", "tls-server-end-point")));
    }

    [Fact]
    public void Advertised_tls_unique_is_not_used_on_tls13() =>
        Assert.Null(SaslMechanisms.ChooseChannelBinding(["tls-unique"], SslProtocols.Tls13, Available("tls-unique")));

    [Fact]
    public void Nothing_advertised_on_tls12_uses_tls_unique_when_available()
    {
        Assert.Equal("tls-unique", SaslMechanisms.ChooseChannelBinding([], SslProtocols.Tls12, Available("tls-unique", "tls-server-end-point"))?.Type);
        Assert.Null(SaslMechanisms.ChooseChannelBinding([], SslProtocols.Tls12, Available("tls-server-end-point")));
    }

    [Fact]
    public void Nothing_advertised_on_tls13_means_no_channel_binding()
    {
        var asked = new List<string>();
        Assert.Null(SaslMechanisms.ChooseChannelBinding([], SslProtocols.Tls13, type =>
        {
            asked.Add(type);
            return [1];
        }));
        Assert.Empty(asked);
    }

    [Fact]
    public void Empty_data_counts_as_unavailable() =>
        Assert.Null(SaslMechanisms.ChooseChannelBinding([], SslProtocols.Tls12, _ => []));
}
