using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

// The worker SDK reads this when a function uses an attribute from this assembly and adds the host-side extension
// package (id and version exactly as packed from src/XmppNotify.Azure.WebJobs.Extensions.Xmpp) to its generated WorkerExtensions.csproj, which the
// Functions host loads through the package's [assembly: WebJobsStartup]. Keep both values in step with
// src/XmppNotify.Azure.WebJobs.Extensions.Xmpp/XmppNotify.Azure.WebJobs.Extensions.Xmpp.csproj (PackageId, Version).
[assembly: ExtensionInformation("XmppNotify.Azure.WebJobs.Extensions.Xmpp", "0.1.0")]
