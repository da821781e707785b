using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

// The worker SDK reads this when a function uses an attribute from this assembly and adds the host-side extension
// package (id and version exactly as packed from src/XmppBinding) to its generated WorkerExtensions.csproj, which the
// Functions host loads through the package's [assembly: WebJobsStartup]. Keep both values in step with
// src/XmppBinding/XmppBinding.csproj (PackageId, Version).
[assembly: ExtensionInformation("XmppBinding", "0.1.0")]
