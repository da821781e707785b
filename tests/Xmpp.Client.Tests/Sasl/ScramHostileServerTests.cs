using System.Text;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

public class ScramHostileServerTests
{
    private const string Nonce = "fyko+d2lbbFgONRv9qkxdawL";
    private const string GoodServerFirst = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static SaslMechanismScram Started(ChannelBinding? binding = null)
    {
        var scram = new SaslMechanismScram(ScramHash.Sha1, new SaslCredentials("user", "pencil"), binding, false, Nonce);
        scram.GetInitialResponse();
        return scram;
    }

    [Fact]
    public void Tampered_server_signature_is_rejected()
    {
        var scram = Started();
        scram.EvaluateChallenge(Utf8(GoodServerFirst));

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8("v=smF9pqV8S7suAoZWja4dJRkFsKQ=")));
        Assert.StartsWith("server signature mismatch", error.Message, StringComparison.Ordinal);
        Assert.Equal("SCRAM-SHA-1", error.Mechanism);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x=whatever")]
    public void Success_without_a_server_signature_is_rejected(string additionalData)
    {
        var scram = Started();
        scram.EvaluateChallenge(Utf8(GoodServerFirst));

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8(additionalData)));
        Assert.StartsWith("server signature mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Success_before_the_exchange_is_rejected()
    {
        var scram = Started();
        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")));
        Assert.StartsWith("server signature mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_signature_that_is_not_base64_is_rejected()
    {
        var scram = Started();
        scram.EvaluateChallenge(Utf8(GoodServerFirst));
        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8("v=###")));
        Assert.StartsWith("server signature mismatch: the server signature (v=) is not valid base64", error.Message, StringComparison.Ordinal);
        Assert.IsType<FormatException>(error.InnerException);
    }

    [Theory]
    [InlineData("r=someoneElsesNonce123,s=QSXCR+Q6sek8bf92,i=4096")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096")] // the server added nothing
    [InlineData("r=fyko+d2lbbFgONRv9qkxdaw,s=QSXCR+Q6sek8bf92,i=4096")] // a prefix of ours, not an extension
    public void Nonce_not_extending_the_client_nonce_is_rejected(string serverFirst)
    {
        var scram = Started();
        var error = Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8(serverFirst)));
        Assert.Contains("nonce", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4095")]
    [InlineData("1")]
    [InlineData("0")]
    [InlineData("-4096")]
    [InlineData("1000001")]
    [InlineData("99999999999999")]
    [InlineData("4096x")]
    [InlineData("")]
    public void Iteration_count_out_of_range_is_rejected(string iterations)
    {
        var scram = Started();
        var error = Assert.Throws<XmppAuthenticationException>(
            () => scram.EvaluateChallenge(Utf8($"r={Nonce}abc,s=QSXCR+Q6sek8bf92,i={iterations}")));
        Assert.Contains("iteration count", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s=QSXCR+Q6sek8bf92,i=4096", "nonce")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawLabc,i=4096", "salt")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawLabc,s=QSXCR+Q6sek8bf92", "iteration count")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawLabc,s=%%%not-base64,i=4096", "base64")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawLabc,s=,i=4096", "salt")]
    [InlineData("garbage", "malformed")]
    [InlineData("", "empty")]
    [InlineData("m=ext,r=fyko+d2lbbFgONRv9qkxdawLabc,s=QSXCR+Q6sek8bf92,i=4096", "extension")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawLabc,r=fyko+d2lbbFgONRv9qkxdawLdef,s=QSXCR+Q6sek8bf92,i=4096", "repeats")]
    public void Malformed_server_first_is_rejected_with_a_clear_message(string serverFirst, string expectedInMessage)
    {
        var scram = Started();
        var error = Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8(serverFirst)));
        Assert.Contains(expectedInMessage, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_from_the_server_is_rejected()
    {
        var scram = Started();
        Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(new byte[] { 0x72, 0x3D, 0xFF, 0xFE }));
    }

    [Fact]
    public void Server_error_attribute_surfaces_text_and_condition()
    {
        var binding = new ChannelBinding("tls-unique", [1, 2, 3, 4]);
        var scram = Started(binding);

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8("e=invalid-channel-binding")));
        Assert.Equal("invalid-channel-binding", error.Condition);
        Assert.Contains("invalid-channel-binding", error.Message, StringComparison.Ordinal);
        Assert.Equal("SCRAM-SHA-1-PLUS", error.Mechanism);
        Assert.True(error.IsChannelBindingFailure);
    }

    [Fact]
    public void Server_error_in_server_final_surfaces_text_and_condition()
    {
        var scram = Started();
        scram.EvaluateChallenge(Utf8(GoodServerFirst));

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8("e=other-error")));
        Assert.Equal("other-error", error.Condition);
        Assert.Contains("other-error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_failure_the_instance_accepts_nothing_more()
    {
        var scram = Started();
        Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8("r=wrong,s=QSXCR+Q6sek8bf92,i=4096")));
        Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8(GoodServerFirst)));
        Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")));
    }

    [Fact]
    public void Hostile_server_text_is_trimmed_and_stripped_of_control_characters_in_messages()
    {
        var scram = Started();
        var error = Assert.Throws<XmppAuthenticationException>(
            () => scram.EvaluateChallenge(Utf8("e=bad\r\n" + new string('x', 5000))));
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 400);
    }
}
