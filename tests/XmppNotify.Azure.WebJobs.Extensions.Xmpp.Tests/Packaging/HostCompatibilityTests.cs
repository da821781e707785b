using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Xunit.Abstractions;

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp.Tests.Packaging;

/// <summary>
/// Holds the supported Functions hosts: 4.1049 and later, which run on .NET 10 (docs/functions-app.md, "Which Functions
/// hosts"). The host loads the assemblies in <c>.azurefunctions</c> and unifies Microsoft.Extensions.* and
/// System.Text.Json to its own copy only when the major version matches and the requested minor is not higher
/// (runtimeassemblies.json, <c>minorMatchOrLower</c>); a reference to a newer version fails at start-up with
/// "Could not load file or assembly". A .NET 10 host carries 10.0; anything shipped here must ask for no more.
/// </summary>
/// <remarks>
/// Reads the output of <c>scripts/build-functions.sh</c> (<c>.artifacts/functionapp/.azurefunctions</c>, what a
/// deployment ships) when it exists; otherwise the host extension's own dependency closure in this test's output.
/// </remarks>
public sealed class HostCompatibilityTests(ITestOutputHelper output)
{
    private const string ExtensionAssembly = "XmppNotify.Azure.WebJobs.Extensions.Xmpp";

    /// <summary>The newest .NET whose Microsoft.Extensions.* and System.Text.Json the supported hosts carry.</summary>
    private static readonly Version HostRuntime = new(10, 0);

    /// <summary>The first host release on .NET 10; the docs must name it while anything shipped asks for 10.0.</summary>
    private const string MinimumHostVersion = "4.1049";

    [Fact]
    public void ShippedAssembliesAskTheHostForNoNewerRuntimeLibrariesThanItCarries()
    {
        var (source, files) = ShippedAssemblies();
        output.WriteLine($"assemblies from {source}: {files.Count}");
        Assert.Contains(files, f => Path.GetFileNameWithoutExtension(f) == ExtensionAssembly);

        var tooNew = new List<string>();
        var highest = new Version(0, 0);
        foreach (var file in files)
        {
            foreach (var (name, version) in References(file).Where(r => IsUnifiedByMinor(r.Name)))
            {
                if (version > highest)
                {
                    highest = version;
                }

                if (version.Major > HostRuntime.Major || (version.Major == HostRuntime.Major && version.Minor > HostRuntime.Minor))
                {
                    tooNew.Add($"{Path.GetFileName(file)} -> {name} {version}");
                }
            }
        }

        output.WriteLine($"highest Microsoft.Extensions.*/System.Text.Json reference: {highest}");
        Assert.True(tooNew.Count == 0, "needs a newer host than .NET " + HostRuntime + ":\n" + string.Join("\n", tooNew));

        // The documented minimum follows from what is shipped: a reference to 10.0 does not load on a .NET 8 host.
        if (highest.Major >= 10)
        {
            var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "functions-app.md"));
            Assert.Contains($"Functions host {MinimumHostVersion}", docs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ShippedAssembliesTargetNoNewerFrameworkThanTheHost()
    {
        var (_, files) = ShippedAssemblies();
        foreach (var file in files)
        {
            var framework = TargetFramework(file);
            output.WriteLine($"{Path.GetFileName(file)}: {framework ?? "(none)"}");
            if (framework is not null && framework.StartsWith(".NETCoreApp,Version=v", StringComparison.Ordinal))
            {
                var version = Version.Parse(framework[".NETCoreApp,Version=v".Length..]);
                Assert.True(version <= HostRuntime, $"{Path.GetFileName(file)} targets {framework}");
            }
        }
    }

    /// <summary>Microsoft.Extensions.* and System.Text.Json: the host's copy is used for the same major and a lower or equal minor.</summary>
    private static bool IsUnifiedByMinor(string name) =>
        name.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) || name == "System.Text.Json";

    private static (string Source, IReadOnlyList<string> Files) ShippedAssemblies()
    {
        var shipped = Path.Combine(RepositoryRoot(), ".artifacts", "functionapp", ".azurefunctions");
        if (Directory.Exists(shipped))
        {
            return (shipped, Directory.GetFiles(shipped, "*.dll"));
        }

        // The extension and every assembly it reaches that the host does not provide itself (the worker SDK strips those
        // from .azurefunctions the same way).
        var directory = AppContext.BaseDirectory;
        var closure = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([ExtensionAssembly]);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            var path = Path.Combine(directory, name + ".dll");
            if (!File.Exists(path) || IsProvidedByHost(name) || !closure.Add(path))
            {
                continue;
            }

            foreach (var reference in References(path))
            {
                pending.Push(reference.Name);
            }
        }

        return (directory + " (closure of " + ExtensionAssembly + ")", [.. closure]);
    }

    private static bool IsProvidedByHost(string name) =>
        IsUnifiedByMinor(name)
        || name.StartsWith("Microsoft.Azure.WebJobs", StringComparison.Ordinal)
        || name.StartsWith("Microsoft.AspNetCore.", StringComparison.Ordinal)
        || name.StartsWith("System.", StringComparison.Ordinal)
        || name is "Newtonsoft.Json" or "netstandard" or "mscorlib";

    private static List<(string Name, Version Version)> References(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            return [];
        }

        var reader = pe.GetMetadataReader();
        return reader.AssemblyReferences
            .Select(handle => reader.GetAssemblyReference(handle))
            .Select(reference => (reader.GetString(reference.Name), reference.Version))
            .ToList();
    }

    private static string? TargetFramework(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            return null;
        }

        var reader = pe.GetMetadataReader();
        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            var constructor = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
            if (constructor.Parent.Kind != HandleKind.TypeReference
                || reader.GetString(reader.GetTypeReference((TypeReferenceHandle)constructor.Parent).Name) != "TargetFrameworkAttribute")
            {
                continue;
            }

            // Blob: prolog 0x0001, then the SerString with the framework name.
            var blob = reader.GetBlobReader(attribute.Value);
            blob.ReadUInt16();
            return blob.ReadSerializedString();
        }

        return null;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Xmpp.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Xmpp.sln not found above " + AppContext.BaseDirectory);
    }
}
