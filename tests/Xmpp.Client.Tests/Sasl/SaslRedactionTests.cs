using System.Security.Cryptography;
using System.Text;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

public class SaslRedactionTests
{
    private const string Password = "Sup3r-S3cret-Pässwort";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Credentials_ToString_shows_the_user_but_not_the_password()
    {
        var text = new SaslCredentials("alice", Password).ToString();
        Assert.Contains("alice", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_payload_is_always_redacted()
    {
        var plain = new SaslMechanismPlain(new SaslCredentials("alice", Password));
        var payload = plain.GetInitialResponse();

        Assert.Equal("\0alice\0" + Password, Encoding.UTF8.GetString(payload));
        Assert.Equal("[redacted]", plain.RedactForLog(payload));
        Assert.Equal("[redacted]", plain.RedactForLog(Utf8("anything")));
        Assert.DoesNotContain(Password, plain.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_refuses_challenges_without_echoing_the_password()
    {
        var plain = new SaslMechanismPlain(new SaslCredentials("alice", Password));
        plain.GetInitialResponse();
        var error = Assert.Throws<XmppAuthenticationException>(() => plain.EvaluateChallenge(Utf8("more?")));
        Assert.DoesNotContain(Password, error.Message, StringComparison.Ordinal);
        Assert.Equal("PLAIN", error.Mechanism);
    }

    [Fact]
    public void Scram_log_keeps_only_the_user_name_never_nonces_or_the_proof()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha256, Password, salt, 4096);
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("alice", Password), null, false, "nonce123");

        var clientFirst = scram.GetInitialResponse();
        Assert.Equal("n,,n=alice,r=[redacted]", scram.RedactForLog(clientFirst));

        var clientFinal = scram.EvaluateChallenge(Utf8(server.ServerFirst(clientFirst)));
        var proof = Encoding.UTF8.GetString(clientFinal).Split(",p=")[1];
        var logged = scram.RedactForLog(clientFinal);

        Assert.Equal("c=[redacted],r=[redacted],p=[redacted]", logged);
        Assert.DoesNotContain(proof, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, logged, StringComparison.Ordinal);

        Assert.Equal("[redacted]", scram.RedactForLog(Utf8("p=something-else")));
        Assert.DoesNotContain(Password, scram.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Scram_errors_never_contain_the_password()
    {
        var scram = new SaslMechanismScram(ScramHash.Sha1, new SaslCredentials("alice", Password), null, false, "abc");
        scram.GetInitialResponse();
        scram.EvaluateChallenge(Utf8("r=abcdef,s=QSXCR+Q6sek8bf92,i=4096"));
        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8("v=AAAA")));
        Assert.DoesNotContain(Password, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Channel_binding_ToString_does_not_print_the_data()
    {
        var text = new ChannelBinding("tls-unique", [0xAB, 0xCD]).ToString();
        Assert.Contains("tls-unique", text, StringComparison.Ordinal);
        Assert.Contains("2 bytes", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("challenge", "cj1ub25jZTEyM3NlcnZlcixzPVFTWENSK1E2c2VrOGJmOTIsaT00MDk2")]
    [InlineData("success", "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9")]
    public void Server_challenge_and_success_payloads_never_reach_the_protocol_log(string name, string payload)
    {
        // Salt, iteration count and the server signature (v=) would let anyone with the log test passwords offline.
        var element = System.Xml.Linq.XElement.Parse($"<{name} xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{payload}</{name}>");
        var logged = ProtocolRedaction.ServerElement(element);
        Assert.Equal($"<{name} xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</{name}>", logged);
        Assert.DoesNotContain(payload, logged, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_server_elements_are_logged_as_sent()
    {
        var element = System.Xml.Linq.XElement.Parse("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        Assert.Equal("<success xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" />", ProtocolRedaction.ServerElement(element));
    }
}
