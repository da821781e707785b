using System.Security.Cryptography;
using System.Text;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

public class ScramChannelBindingTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Plus_sends_p_flag_and_binds_gs2_header_plus_data_in_c()
    {
        byte[] cbData = [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07];
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("user", "pencil"), new ChannelBinding("tls-unique", cbData), false, "abcdef");

        Assert.Equal("SCRAM-SHA-256-PLUS", scram.Name);
        Assert.True(scram.UsesChannelBinding);
        Assert.Equal("p=tls-unique,,n=user,r=abcdef", Encoding.UTF8.GetString(scram.GetInitialResponse()));

        var clientFinal = Encoding.UTF8.GetString(
            scram.EvaluateChallenge(Utf8("r=abcdefSERVER,s=QSXCR+Q6sek8bf92,i=4096")));

        // "p=tls-unique,," followed by the raw binding bytes, base64 as a whole.
        Assert.StartsWith("c=cD10bHMtdW5pcXVlLCzerb7vAAECAwQFBgc=,r=abcdefSERVER,p=", clientFinal, StringComparison.Ordinal);
        var expected = Convert.ToBase64String([.. Encoding.ASCII.GetBytes("p=tls-unique,,"), .. cbData]);
        Assert.StartsWith("c=" + expected + ",", clientFinal, StringComparison.Ordinal);
    }

    [Fact]
    public void Plus_round_trip_succeeds_when_both_ends_see_the_same_channel_and_fails_otherwise()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var serverView = RandomNumberGenerator.GetBytes(32);

        var same = new ScramTestServer(ScramHash.Sha512, "pw", salt, 4096, serverView);
        var scram = new SaslMechanismScram(ScramHash.Sha512, new SaslCredentials("u", "pw"), new ChannelBinding("tls-server-end-point", serverView), false);
        var serverFirst = same.ServerFirst(scram.GetInitialResponse());
        scram.VerifySuccess(Utf8(same.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst)))));
        Assert.Equal("p=tls-server-end-point,,", same.ReceivedGs2Header);

        // A man in the middle terminates TLS: the client binds to a different channel than the server.
        var other = new ScramTestServer(ScramHash.Sha512, "pw", salt, 4096, serverView);
        var intercepted = new SaslMechanismScram(ScramHash.Sha512, new SaslCredentials("u", "pw"), new ChannelBinding("tls-server-end-point", RandomNumberGenerator.GetBytes(32)), false);
        var first = other.ServerFirst(intercepted.GetInitialResponse());
        var rejected = Assert.Throws<InvalidOperationException>(() => other.ServerFinal(intercepted.EvaluateChallenge(Utf8(first))));
        Assert.Contains("channel-bindings-dont-match", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flag_y_header_is_sent_and_bound_as_eSws()
    {
        var scram = new SaslMechanismScram(ScramHash.Sha1, new SaslCredentials("user", "pencil"), null, clientSupportsBindingButNotUsed: true, "abc");

        Assert.Equal("SCRAM-SHA-1", scram.Name);
        Assert.False(scram.UsesChannelBinding);
        Assert.Equal("y,,n=user,r=abc", Encoding.UTF8.GetString(scram.GetInitialResponse()));
        var clientFinal = Encoding.UTF8.GetString(scram.EvaluateChallenge(Utf8("r=abcdef,s=QSXCR+Q6sek8bf92,i=4096")));
        Assert.StartsWith("c=eSws,r=abcdef,p=", clientFinal, StringComparison.Ordinal);
    }

    [Fact]
    public void Flag_n_header_is_bound_as_biws()
    {
        var scram = new SaslMechanismScram(ScramHash.Sha1, new SaslCredentials("user", "pencil"), null, clientSupportsBindingButNotUsed: false, "abc");
        Assert.Equal("n,,", scram.Gs2Header);
        scram.GetInitialResponse();
        var clientFinal = Encoding.UTF8.GetString(scram.EvaluateChallenge(Utf8("r=abcdef,s=QSXCR+Q6sek8bf92,i=4096")));
        Assert.StartsWith("c=biws,", clientFinal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tls unique")]
    [InlineData("tls,unique")]
    public void Invalid_binding_type_is_refused(string type)
    {
        Assert.Throws<ArgumentException>(
            () => new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "p"), new ChannelBinding(type, [1]), false));
    }

    [Fact]
    public void Empty_binding_data_is_refused()
    {
        Assert.Throws<ArgumentException>(
            () => new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "p"), new ChannelBinding("tls-unique", []), false));
    }
}
