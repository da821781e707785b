using System.Security.Cryptography;
using System.Text;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

public class ScramRfcVectorTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    [Fact]
    public void Rfc5802_ScramSha1_example_is_reproduced_exactly()
    {
        var scram = new SaslMechanismScram(ScramHash.Sha1, new SaslCredentials("user", "pencil"), null, false, "fyko+d2lbbFgONRv9qkxdawL");

        Assert.Equal("SCRAM-SHA-1", scram.Name);
        Assert.False(scram.UsesChannelBinding);
        Assert.Equal("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", Text(scram.GetInitialResponse()));

        var clientFinal = scram.EvaluateChallenge(Utf8("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
        Assert.Equal(
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            Text(clientFinal));

        scram.VerifySuccess(Utf8("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
    }

    [Fact]
    public void Rfc7677_ScramSha256_example_is_reproduced_exactly()
    {
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("user", "pencil"), null, false, "rOprNGfwEbeRWgbNEkqO");

        Assert.Equal("SCRAM-SHA-256", scram.Name);
        Assert.Equal("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", Text(scram.GetInitialResponse()));

        var clientFinal = scram.EvaluateChallenge(
            Utf8("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        Assert.Equal(
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            Text(clientFinal));

        scram.VerifySuccess(Utf8("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
    }

    [Theory]
    [InlineData(ScramHash.Sha1)]
    [InlineData(ScramHash.Sha256)]
    [InlineData(ScramHash.Sha512)]
    public void Round_trip_against_an_independent_server_succeeds(ScramHash hash)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(hash, "correct horse battery staple", salt, 4096);
        var scram = new SaslMechanismScram(hash, new SaslCredentials("alice", "correct horse battery staple"), null, false);

        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        var serverFinal = server.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst)));
        scram.VerifySuccess(Utf8(serverFinal));
    }

    [Fact]
    public void ScramSha512_with_the_wrong_password_is_rejected_by_the_independent_server()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha512, "right", salt, 4096);
        var scram = new SaslMechanismScram(ScramHash.Sha512, new SaslCredentials("alice", "wrong"), null, false);

        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        Assert.Throws<InvalidOperationException>(() => server.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst))));
    }

    [Fact]
    public void Random_client_nonce_is_24_bytes_of_base64_and_differs_each_time()
    {
        static string Nonce() =>
            Text(new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "p"), null, false).GetInitialResponse()).Split(",r=")[1];

        var first = Nonce();
        Assert.Equal(24, Convert.FromBase64String(first).Length);
        Assert.NotEqual(first, Nonce());
    }

    [Fact]
    public void Username_equals_and_comma_are_escaped()
    {
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("a=b,c", "p"), null, false, "abc");
        Assert.Equal("n,,n=a=3Db=2Cc,r=abc", Text(scram.GetInitialResponse()));
    }

    [Theory]
    [InlineData("I\u00ADX", "IX")] // RFC 4013 §3: soft hyphen mapped to nothing
    [InlineData("a\u00A0b", "a b")] // non-ASCII space mapped to space
    public void Password_is_prepared_before_hashing(string typed, string prepared)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha256, prepared, salt, 4096);
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", typed), null, false);

        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        scram.VerifySuccess(Utf8(server.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst)))));
    }

    [Fact]
    public void Password_is_nfkc_normalized_where_the_platform_can()
    {
        // Globalization-invariant processes (this test project) cannot normalize; SaslPrep then leaves the text as typed.
        var platformNormalizes = "\u2168".Normalize(NormalizationForm.FormKC) == "IX";
        var prepared = platformNormalizes ? "IX" : "\u2168";

        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha256, prepared, salt, 4096);
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "\u2168"), null, false);

        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        scram.VerifySuccess(Utf8(server.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst)))));
    }

    [Fact]
    public void Server_final_sent_as_a_challenge_is_verified_and_answered_empty()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var server = new ScramTestServer(ScramHash.Sha256, "pw", salt, 4096);
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", "pw"), null, false);

        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        var serverFinal = server.ServerFinal(scram.EvaluateChallenge(Utf8(serverFirst)));
        Assert.Empty(scram.EvaluateChallenge(Utf8(serverFinal)));
        scram.VerifySuccess([]);
    }
}
