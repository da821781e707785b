using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Hosting;

[assembly: WebJobsStartup(typeof(XmppNotify.Azure.WebJobs.Extensions.Xmpp.XmppWebJobsStartup), "Xmpp")]

namespace XmppNotify.Azure.WebJobs.Extensions.Xmpp;

/// <summary>Found by the Functions host through the assembly attribute; adds the XMPP binding.</summary>
public sealed class XmppWebJobsStartup : IWebJobsStartup
{
    public void Configure(IWebJobsBuilder builder) => builder.AddXmpp();
}
