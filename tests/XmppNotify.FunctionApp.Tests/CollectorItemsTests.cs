using System.Text;
using Google.Protobuf;
using XmppNotify.FunctionApp.Tests.HostProtocol;
using XmppNotify.FunctionApp.Tests.HostProtocol.Rpc;

namespace XmppNotify.FunctionApp.Tests;

/// <summary>The host's rule for turning a worker output value into IAsyncCollector&lt;byte[]&gt; items, which the harness follows.</summary>
public sealed class CollectorItemsTests
{
    private static string[] Items(TypedData value) => [.. OutputBindingHost.CollectorItems(value).Select(Encoding.UTF8.GetString)];

    [Fact]
    public void A_json_array_fans_out_one_item_per_element() =>
        Assert.Equal(["{\"Body\":\"a\"}", "{\"Body\":\"b\"}"], Items(new TypedData { Json = """[{"Body":"a"},{"Body":"b"}]""" }));

    [Fact]
    public void A_json_object_is_one_item() =>
        Assert.Equal(["{\"Body\":\"a\"}"], Items(new TypedData { Json = """{"Body":"a"}""" }));

    [Fact]
    public void A_string_that_is_json_is_parsed_and_other_strings_are_one_item() =>
        Assert.Equal(["{\"Body\":\"a\"}", "plain"], [.. Items(new TypedData { String = """[{"Body":"a"}]""" }), .. Items(new TypedData { String = "plain" })]);

    [Fact]
    public void Bytes_are_one_item_unchanged_and_no_value_is_no_item()
    {
        Assert.Equal(["{\"x\":1}"], Items(new TypedData { Bytes = ByteString.CopyFromUtf8("{\"x\":1}") }));
        Assert.Empty(Items(new TypedData()));
    }
}
