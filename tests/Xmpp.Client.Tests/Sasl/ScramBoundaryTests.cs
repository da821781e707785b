using System.Security.Cryptography;
using System.Text;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

/// <summary>
/// The edges of what the SCRAM client accepts and says: the last valid value on each side of every range, the
/// one-attempt rule, a repeated server signature, and the server text that ends up in error messages.
/// </summary>
public class ScramBoundaryTests
{
    private const string Nonce = "fyko+d2lbbFgONRv9qkxdawL";
    private const string Salt = "QSXCR+Q6sek8bf92";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    private static SaslMechanismScram Started(ChannelBinding? binding = null)
    {
        var scram = new SaslMechanismScram(ScramHash.Sha1, new SaslCredentials("user", "pencil"), binding, false, Nonce);
        scram.GetInitialResponse();
        return scram;
    }

    [Fact]
    public void Missing_credentials_are_refused_when_the_mechanism_is_made()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new SaslMechanismScram(ScramHash.Sha256, null!, null, false));
        Assert.Equal("credentials", error.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")] // space is below '!'
    [InlineData("a,b")] // ',' separates attributes
    [InlineData("a\u007Fb")] // DEL is above '~'
    [InlineData("a\u00E9b")]
    public void A_fixed_client_nonce_must_be_printable_ascii_without_a_comma(string nonce)
    {
        var error = Assert.Throws<ArgumentException>(
            () => new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "p"), null, false, nonce));
        Assert.Equal("fixedNonceForTests", error.ParamName);
    }

    [Fact]
    public void A_fixed_client_nonce_may_use_both_ends_of_printable_ascii()
    {
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "p"), null, false, "!~");

        Assert.Equal("n,,n=u,r=!~", Text(scram.GetInitialResponse()));
    }

    [Fact]
    public void An_instance_serves_one_authentication_attempt()
    {
        var scram = Started();

        Assert.Throws<InvalidOperationException>(() => scram.GetInitialResponse());
    }

    [Theory]
    [InlineData("abc def")]
    [InlineData("abc\u007F")]
    [InlineData("abc\u00E9")]
    [InlineData("abc\u0001")]
    public void A_server_nonce_extension_outside_printable_ascii_is_rejected(string extension)
    {
        var scram = Started();

        var error = Assert.Throws<XmppAuthenticationException>(
            () => scram.EvaluateChallenge(Utf8($"r={Nonce}{extension},s={Salt},i=4096")));
        Assert.Contains("printable ASCII", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_nonce_extension_may_use_both_ends_of_printable_ascii()
    {
        var scram = Started();

        var clientFinal = Text(scram.EvaluateChallenge(Utf8($"r={Nonce}!~,s={Salt},i=4096")));

        Assert.StartsWith($"c=biws,r={Nonce}!~,p=", clientFinal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_salt_that_decodes_to_nothing_is_rejected()
    {
        var scram = Started();

        // Base64 decoding skips white space, so a salt of one space is valid base64 for zero bytes.
        var error = Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8($"r={Nonce}abc,s= ,i=4096")));

        Assert.Contains("salt (s=) is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_highest_accepted_iteration_count_is_accepted()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha1, "pencil", salt, SaslMechanismScram.MaximumIterations);
        var scram = new SaslMechanismScram(ScramHash.Sha1, new SaslCredentials("user", "pencil"), null, false);

        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        Assert.EndsWith(",i=1000000", serverFirst, StringComparison.Ordinal);
        scram.VerifySuccess(Utf8(server.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst)))));
    }

    [Fact]
    public void Invalid_utf8_is_named_as_such_rather_than_decoded_with_replacement_characters()
    {
        var scram = Started();

        var error = Assert.Throws<XmppAuthenticationException>(
            () => scram.EvaluateChallenge([.. Utf8($"r={Nonce}abc,s={Salt},i=4096,x="), 0xFF]));
        Assert.Contains("not valid UTF-8", error.Message, StringComparison.Ordinal);
        Assert.IsType<DecoderFallbackException>(error.InnerException);
    }

    private static (SaslMechanismScram Scram, string ServerFinal) VerifiedInAChallenge()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha256, "pw", salt, 4096);
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "pw"), null, false);
        var serverFinal = server.ServerFinal(scram.EvaluateChallenge(Utf8(server.ServerFirst(scram.GetInitialResponse()))));
        Assert.Empty(scram.EvaluateChallenge(Utf8(serverFinal)));
        return (scram, serverFinal);
    }

    [Fact]
    public void The_right_signature_repeated_in_success_after_the_challenge_is_accepted()
    {
        var (scram, serverFinal) = VerifiedInAChallenge();

        scram.VerifySuccess(Utf8(serverFinal));
        scram.VerifySuccess([]); // and the exchange stays complete
    }

    [Fact]
    public void A_different_signature_in_success_after_the_challenge_is_rejected()
    {
        var (scram, serverFinal) = VerifiedInAChallenge();
        var forged = serverFinal[..^4] + (serverFinal[^4] == 'A' ? "B" : "A") + serverFinal[^3..];

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8(forged)));

        Assert.StartsWith("server signature mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_error_that_is_not_about_channel_binding_is_not_reported_as_one()
    {
        var scram = Started(new ChannelBinding("tls-exporter", [1, 2, 3, 4]));

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8("e=other-error")));

        Assert.Equal("other-error", error.Condition);
        Assert.DoesNotContain("channel binding", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(error.IsChannelBindingFailure); // a -PLUS failure for another reason must not trigger the non-PLUS retry
    }

    [Theory]
    [InlineData("e=")]
    [InlineData("e=\u0001\u0002")]
    public void A_server_error_without_printable_text_has_no_condition(string serverFinal)
    {
        var scram = Started();
        scram.EvaluateChallenge(Utf8($"r={Nonce}abc,s={Salt},i=4096"));

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.VerifySuccess(Utf8(serverFinal)));

        Assert.Null(error.Condition);
        Assert.Contains("rejected SCRAM authentication with the error ''", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_error_text_keeps_every_printable_character_including_space_and_tilde()
    {
        var scram = Started();

        var error = Assert.Throws<XmppAuthenticationException>(() => scram.EvaluateChallenge(Utf8("e=try again ~later!\u0007")));

        Assert.Equal("try again ~later!", error.Condition);
        Assert.Contains("'try again ~later!'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_proof_in_flight_lets_a_pipelined_login_send_its_first_stanzas()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha256, "pw", salt, 4096);
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "pw"), null, false);
        Assert.False(scram.AwaitsOutcome);

        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        Assert.False(scram.AwaitsOutcome); // the server's salt and iteration count are still to come
        var serverFinal = server.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst)));
        Assert.True(scram.AwaitsOutcome);
        scram.VerifySuccess(Utf8(serverFinal));

        Assert.False(scram.AwaitsOutcome);
    }

    [Fact]
    public void An_empty_client_message_is_logged_as_empty()
    {
        var scram = Started();

        Assert.Equal("", scram.RedactForLog([]));
    }
}
