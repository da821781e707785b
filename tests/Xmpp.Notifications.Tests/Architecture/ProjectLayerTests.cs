using System.Xml.Linq;

namespace Xmpp.Notifications.Tests.Architecture;

/// <summary>
/// Keeps the layering of README.md ("Architecture") true: reads every project file under src/ and fails on a project
/// reference or package that points the wrong way. A new project, or a new edge between projects, has to be added to
/// <see cref="AllowedProjectReferences"/> (and to the README diagram) on purpose.
/// </summary>
public sealed class ProjectLayerTests
{
    /// <summary>Which of our projects each project may reference directly.</summary>
    private static readonly Dictionary<string, string[]> AllowedProjectReferences = new(StringComparer.Ordinal)
    {
        ["Xmpp.Client"] = [],
        ["Xmpp.Notifications.Contracts"] = [],
        ["Xmpp.Notifications"] = ["Xmpp.Client"],
        ["XmppNotify.Cli"] = ["Xmpp.Client", "Xmpp.Notifications", "Xmpp.Notifications.Contracts"],
        ["XmppNotify.Azure.WebJobs.Extensions.Xmpp"] = ["Xmpp.Client", "Xmpp.Notifications", "Xmpp.Notifications.Contracts"],
        ["XmppNotify.Azure.Functions.Worker.Extensions.Xmpp"] = ["Xmpp.Notifications.Contracts"],
        // The inbox forwarder reads the account's archive in the worker (a timer job, no output binding involved).
        ["XmppNotify.FunctionApp"] = ["Xmpp.Notifications", "Xmpp.Notifications.Contracts", "XmppNotify.Azure.Functions.Worker.Extensions.Xmpp"],
    };

    /// <summary>Package id prefixes a project must not reference, and why.</summary>
    private static readonly Dictionary<string, (string[] Prefixes, string Why)> ForbiddenPackages = new(StringComparer.Ordinal)
    {
        ["Xmpp.Client"] = (["Azure.", "Microsoft.Azure.", "Microsoft.Extensions.", "Microsoft.AspNetCore."], "the client stands alone: no Azure, no hosting stack"),
        ["Xmpp.Notifications.Contracts"] = (["Azure.", "Microsoft.Azure."], "the contract is shared by worker and host and carries neither"),
        ["Xmpp.Notifications"] = (["Azure.", "Microsoft.Azure."], "the notifier is usable outside Functions"),
        ["XmppNotify.Cli"] = (["Azure.", "Microsoft.Azure."], "the CLI carries no WebJobs and no Azure SDK"),
        ["XmppNotify.Azure.Functions.Worker.Extensions.Xmpp"] = (["Microsoft.Azure.WebJobs", "Azure."], "the worker package must not pull in the host's extension stack"),
        ["XmppNotify.FunctionApp"] = (["Microsoft.Azure.WebJobs"], "the worker talks to the host over gRPC; it never loads the host extension"),
        ["XmppNotify.Azure.WebJobs.Extensions.Xmpp"] = (["Microsoft.Azure.Functions.Worker"], "the host extension runs in the host, not in the worker"),
    };

    private static readonly string Root = FindRepositoryRoot();

    public static TheoryData<string> Projects() => new(ProjectNames());

    private static List<string> ProjectNames() =>
        Directory.GetDirectories(Path.Combine(Root, "src"))
            .Select(directory => Path.GetFileName(directory))
            .Where(name => File.Exists(ProjectFile(name)))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void Every_project_under_src_has_a_place_in_the_layers()
    {
        var projects = ProjectNames();

        Assert.NotEmpty(projects);
        Assert.All(projects, name => Assert.True(AllowedProjectReferences.ContainsKey(name), $"{name} is not in the layer table; add it (and to the README diagram)."));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Project_references_point_down_the_layers(string project)
    {
        var allowed = AllowedProjectReferences.GetValueOrDefault(project, []);

        foreach (var reference in Items(project, "ProjectReference"))
        {
            var target = Path.GetFileNameWithoutExtension(reference.Replace('\\', '/'));
            Assert.True(allowed.Contains(target), $"{project} references {target}, which the layers do not allow (allowed: {string.Join(", ", allowed)}).");
        }
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Packages_stay_in_their_layer(string project)
    {
        if (!ForbiddenPackages.TryGetValue(project, out var rule))
        {
            return;
        }

        foreach (var package in Items(project, "PackageReference"))
        {
            var forbidden = rule.Prefixes.FirstOrDefault(prefix => package.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
            Assert.True(forbidden is null, $"{project} references the package {package}: {rule.Why}.");
        }
    }

    [Fact]
    public void The_checks_see_the_references_that_exist()
    {
        // Guards the reader itself: were it to find nothing, every rule above would pass vacuously.
        Assert.Contains("Xmpp.Client.csproj", string.Join(" ", Items("Xmpp.Notifications", "ProjectReference")));
        Assert.Contains("Microsoft.Azure.WebJobs", Items("XmppNotify.Azure.WebJobs.Extensions.Xmpp", "PackageReference"));
        Assert.Contains("Microsoft.Azure.Functions.Worker.Extensions.Abstractions", Items("XmppNotify.Azure.Functions.Worker.Extensions.Xmpp", "PackageReference"));
    }

    private static string ProjectFile(string name) => Path.Combine(Root, "src", name, name + ".csproj");

    /// <summary>The Include values of the project's items of <paramref name="kind"/>, also from files it imports from the repository.</summary>
    private static List<string> Items(string project, string kind)
    {
        var items = new List<string>();
        var pending = new Stack<string>([ProjectFile(project)]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            var file = Path.GetFullPath(pending.Pop());
            if (!seen.Add(file) || !File.Exists(file))
            {
                continue;
            }

            var document = XDocument.Load(file);
            items.AddRange(document.Descendants(kind).Select(e => (string?)e.Attribute("Include")).OfType<string>());
            foreach (var import in document.Descendants("Import").Select(e => (string?)e.Attribute("Project")).OfType<string>())
            {
                if (!import.Contains('$', StringComparison.Ordinal))
                {
                    pending.Push(Path.Combine(Path.GetDirectoryName(file)!, import));
                }
            }
        }

        return items;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Xmpp.sln")) && Directory.Exists(Path.Combine(directory.FullName, "src")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root (Xmpp.sln) above {AppContext.BaseDirectory}.");
    }
}
