using System.Security.Cryptography;
using System.Text;
using Xmpp.Client.Sasl;

namespace Xmpp.Client.Tests.Sasl;

/// <summary>The PBKDF2 counter is process-wide, so these tests must not run alongside other SCRAM tests.</summary>
[CollectionDefinition(nameof(SaltedPasswordCacheTestGroup), DisableParallelization = true)]
public sealed class SaltedPasswordCacheTestGroup;

[Collection(nameof(SaltedPasswordCacheTestGroup))]
public class ScramSaltedPasswordCacheTests
{
    private static void Authenticate(string password, byte[] salt, int iterations = 4096)
    {
        var server = new ScramTestServer(ScramHash.Sha256, password, salt, iterations);
        var scram = new SaslMechanismScram(ScramHash.Sha256, new SaslCredentials("u", password), null, false);
        var serverFirst = server.ServerFirst(scram.GetInitialResponse());
        var serverFinal = server.ServerFinal(scram.EvaluateChallenge(Encoding.UTF8.GetBytes(serverFirst)));
        scram.VerifySuccess(Encoding.UTF8.GetBytes(serverFinal));
    }

    [Fact]
    public void Same_password_salt_and_iterations_compute_pbkdf2_once()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var before = ScramSaltedPasswordCache.Pbkdf2Computations;

        Authenticate("pw-cache-1", salt);
        Assert.Equal(before + 1, ScramSaltedPasswordCache.Pbkdf2Computations);

        Authenticate("pw-cache-1", salt);
        Authenticate("pw-cache-1", salt);
        Assert.Equal(before + 1, ScramSaltedPasswordCache.Pbkdf2Computations);
    }

    [Fact]
    public void Different_salt_password_iterations_or_hash_compute_again()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var before = ScramSaltedPasswordCache.Pbkdf2Computations;

        Authenticate("pw-cache-2", salt);
        Authenticate("pw-cache-2", RandomNumberGenerator.GetBytes(16));
        Authenticate("pw-cache-2-other", salt);
        Authenticate("pw-cache-2", salt, 4097);
        Assert.Equal(before + 4, ScramSaltedPasswordCache.Pbkdf2Computations);

        var sha1 = ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha1, "pw-cache-2", salt, 4096);
        Assert.Equal(20, sha1.Length);
        Assert.Equal(before + 5, ScramSaltedPasswordCache.Pbkdf2Computations);
    }

    [Fact]
    public void Concurrent_logins_with_the_same_key_share_one_computation()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var before = ScramSaltedPasswordCache.Pbkdf2Computations;

        Parallel.For(0, 16, _ => Authenticate("pw-cache-3", salt, 20_000));

        Assert.Equal(before + 1, ScramSaltedPasswordCache.Pbkdf2Computations);
    }

    [Fact]
    public void Returned_values_are_copies_the_caller_may_zero()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var first = ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha256, "pw-cache-4", salt, 4096);
        var expected = (byte[])first.Clone();
        CryptographicOperations.ZeroMemory(first);

        Assert.Equal(expected, ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha256, "pw-cache-4", salt, 4096));
        Assert.Equal(
            Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes("pw-cache-4"), salt, 4096, HashAlgorithmName.SHA256, 32),
            expected);
    }

    [Fact]
    public void Size_stays_bounded()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        for (var i = 0; i < ScramSaltedPasswordCache.Capacity + 20; i++)
        {
            ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha1, "pw-bound-" + i, salt, 1);
        }

        Assert.Equal(ScramSaltedPasswordCache.Capacity, ScramSaltedPasswordCache.Count);

        // The most recent entry survived; the oldest was evicted and costs a computation again.
        var before = ScramSaltedPasswordCache.Pbkdf2Computations;
        ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha1, "pw-bound-" + (ScramSaltedPasswordCache.Capacity + 19), salt, 1);
        Assert.Equal(before, ScramSaltedPasswordCache.Pbkdf2Computations);
        ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha1, "pw-bound-0", salt, 1);
        Assert.Equal(before + 1, ScramSaltedPasswordCache.Pbkdf2Computations);
    }

    [Fact]
    public void Clear_forgets_everything()
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha256, "pw-cache-5", salt, 4096);
        ScramSaltedPasswordCache.Clear();
        Assert.Equal(0, ScramSaltedPasswordCache.Count);

        var before = ScramSaltedPasswordCache.Pbkdf2Computations;
        ScramSaltedPasswordCache.GetSaltedPassword(ScramHash.Sha256, "pw-cache-5", salt, 4096);
        Assert.Equal(before + 1, ScramSaltedPasswordCache.Pbkdf2Computations);
    }
}
