using XmppNotify.Azure.WebJobs.Extensions.Xmpp.KeyVault;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.KeyVault;

public sealed class ConnectionEntriesTests
{
    [Theory]
    [InlineData("xmpps://a:p@h/x", new[] { "xmpps://a:p@h/x" })]
    [InlineData("xmpps://a:p@h/x\nxmpp://b:q@h/y", new[] { "xmpps://a:p@h/x", "xmpp://b:q@h/y" })]
    [InlineData("  xmpps://a:p@h/x   xmpp://b:q@h/y  ", new[] { "xmpps://a:p@h/x", "xmpp://b:q@h/y" })]
    [InlineData("xmpps://a:p@h/?to=b,c;d", new[] { "xmpps://a:p@h/?to=b,c;d" })]
    [InlineData("xmpps://a:p@h/x,xmpp://b:q@h/y;https://v.vault.azure.net/secrets/s", new[] { "xmpps://a:p@h/x", "xmpp://b:q@h/y", "https://v.vault.azure.net/secrets/s" })]
    public void Splits_on_whitespace_and_on_commas_only_before_a_scheme(string value, string[] expected) =>
        Assert.Equal(expected, ConnectionEntries.Split(value));

    [Theory]
    [InlineData("https://myvault.vault.azure.net/secrets/xmpp")]
    [InlineData("https://myvault.vault.azure.net/secrets/xmpp/0123456789abcdef0123456789abcdef")]
    [InlineData("https://myvault.vault.azure.cn/secrets/xmpp")]
    [InlineData("https://myvault.vault.usgovcloudapi.net/secrets/xmpp")]
    public void Secret_uris_of_any_cloud(string value)
    {
        var entry = Assert.Single(ConnectionEntries.Parse("S", value));
        Assert.Equal("xmpp", entry.Secret!.Value.Name);
    }

    [Fact]
    public void Vault_name_form_of_the_app_service_reference_is_also_recognised()
    {
        var e = Assert.Throws<XmppConnectionException>(() => ConnectionEntries.Parse("S", "@Microsoft.KeyVault(VaultName=v;SecretName=s)"));
        Assert.Contains("'S' still holds an unresolved Key Vault reference", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_never_print_the_value()
    {
        var e = Assert.Throws<XmppConnectionException>(() => ConnectionEntries.Parse("S", "ftp://user:hunter2@h/x"));
        Assert.Contains("a URL with scheme 'ftp'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }
}
