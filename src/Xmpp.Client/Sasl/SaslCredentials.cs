namespace Xmpp.Client.Sasl;

/// <summary>A user name and password for SASL. The password is only readable inside this library and never printed.</summary>
public sealed class SaslCredentials
{
    public SaslCredentials(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        // A NUL would let PLAIN's authcid/passwd fields be split differently by the server than we meant.
        if (username.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The user name must not contain a NUL character.", nameof(username));
        }

        if (password.Contains('\0', StringComparison.Ordinal))
        {
            // The message must not echo the value.
            throw new ArgumentException("The password must not contain a NUL character.", nameof(password));
        }

        Username = username;
        Password = password;
    }

    public string Username { get; }

    internal string Password { get; }

    public override string ToString() => $"SaslCredentials {{ Username = {Username}, Password = [redacted] }}";
}
