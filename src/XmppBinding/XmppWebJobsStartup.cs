using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Hosting;
using Xmpp.Binding;

[assembly: WebJobsStartup(typeof(XmppWebJobsStartup), "Xmpp")]

namespace Xmpp.Binding;

/// <summary>Found by the Functions host through the assembly attribute; adds the XMPP binding.</summary>
public sealed class XmppWebJobsStartup : IWebJobsStartup
{
    public void Configure(IWebJobsBuilder builder) => builder.AddXmpp();
}
