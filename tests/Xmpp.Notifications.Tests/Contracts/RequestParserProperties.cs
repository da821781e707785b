using System.Text;
using CsCheck;
using Xmpp.Notifications.Contracts.Requests;

namespace Xmpp.Notifications.Tests.Contracts;

/// <summary>
/// Any bytes into any request parser: a result or a <see cref="NotificationFormatException"/>, nothing else (no
/// InvalidOperationException from a lone surrogate, no ArgumentException from a control character, no stack overflow).
/// Inputs are random bytes, random text over the parsers' own alphabet, and valid payloads with random edits.
/// </summary>
public sealed class RequestParserProperties
{
    private const string JsonAlphabet = "{}[]:,\"\\ \t\n0123456789.eE+-truefalsnul" + "abc<>&'/#%" + "\u0001\u001b\u00e9\ud83d\ude00\ufffe";
    private const string XmlAlphabet = "<>/='\"&;!?[]- \n:abcdefghijklmnopqrstuvwxyz#x0123456789" + "\u0001\u00e9\ufffe";

    /// <summary>A valid seed with 1-4 random edits: replace, insert or delete a span, or cut the tail.</summary>
    private static Gen<byte[]> Mutated(IReadOnlyList<string> seeds, string alphabet) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.String[Gen.Char[alphabet], 0, 6]).Array[1, 4],
            (seed, edits) =>
            {
                var text = new StringBuilder(seeds[seed]);
                foreach (var (kind, position, insert) in edits)
                {
                    if (text.Length == 0)
                        break;
                    var at = position % text.Length;
                    switch (kind)
                    {
                        case 0:
                            text.Remove(at, Math.Min(insert.Length, text.Length - at)).Insert(at, insert);
                            break;
                        case 1:
                            text.Insert(at, insert);
                            break;
                        case 2:
                            text.Remove(at, Math.Min(1 + (position % 8), text.Length - at));
                            break;
                        default:
                            text.Length = at;
                            break;
                    }
                }
                return Encoding.UTF8.GetBytes(text.ToString());
            });

    /// <summary>Strings with lone surrogates encoded the way System.Text.Json reads them: as \uD800 escapes.</summary>
    private static readonly Gen<byte[]> EscapedJson =
        Gen.OneOfConst("\\ud800", "\\udfff", "\\u0000", "\\u0001", "\\u001b", "\\ufffe", "\\uffff", "\\ud83d\\ude00", "x")
            .Array[1, 4]
            .Select(parts => Encoding.UTF8.GetBytes($$"""{"to":"bob","title":"{{parts[0]}}","body":"a{{string.Concat(parts)}}b"}"""));

    private static Gen<byte[]> AnyInput(ParserEntry parser) => Gen.Frequency(
        (1, Gen.Byte.Array[0, 200]),
        (2, Gen.String[Gen.Char[JsonAlphabet], 0, 120].Select(Encoding.UTF8.GetBytes)),
        (2, Gen.String[Gen.Char[XmlAlphabet], 0, 120].Select(Encoding.UTF8.GetBytes)),
        (1, EscapedJson),
        (6, Mutated(parser.Seeds, parser.Name.StartsWith("request/xml", StringComparison.Ordinal) ? XmlAlphabet : JsonAlphabet)));

    public static TheoryData<string> Parsers => new(ParserCatalog.All.Where(p => !p.Name.StartsWith("format/", StringComparison.Ordinal)).Select(p => p.Name));

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Any_bytes_give_a_result_or_a_NotificationFormatException(string name)
    {
        var parser = ParserCatalog.All.Single(p => p.Name == name);
        AnyInput(parser).Sample(bytes =>
        {
            try
            {
                Assert.NotNull(parser.Run(bytes));
            }
            catch (Exception e) when (ParserCatalog.IsExpectedRejection(e))
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
            }
        }, iter: 3000, print: b => Convert.ToBase64String(b));
    }

    [Theory]
    [MemberData(nameof(Parsers))]
    public void The_seeds_are_valid(string name)
    {
        var parser = ParserCatalog.All.Single(p => p.Name == name);
        foreach (var seed in parser.Seeds)
            Assert.NotNull(parser.Run(Encoding.UTF8.GetBytes(seed)));
        Assert.NotNull(parser.Run(Encoding.UTF8.GetBytes(parser.Scaled(2000))));
    }
}
