// Standard namespace and the notification queue. A message whose delivery keeps failing is retried up to
// maxDeliveryCount times and then dead-lettered; an invalid payload is dead-lettered by the function at once
// (reason InvalidNotification); expired messages are dead-lettered too, so nothing disappears silently.
param name string
param location string
param tags object = {}
param queueName string
param maxDeliveryCount int = 5
param messageTimeToLive string = 'P1D'

@description('Log Analytics workspace receiving the namespace logs and metrics.')
param workspaceId string

@description('Entra ID only (the app uses its managed identity). Set false to allow SAS connection strings, e.g. for local development.')
param disableLocalAuth bool = true

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: disableLocalAuth
  }
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = {
  parent: namespace
  name: queueName
  properties: {
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: messageTimeToLive
    // Longer than the binding's deliveryTimeout (host.json); the host also renews the lock while a function runs.
    lockDuration: 'PT2M'
  }
}

// 2021-05-01-preview is the newest version of this type; the one non-preview version (2016-09-01) is the legacy
// service-level setting without categoryGroup.
#disable-next-line use-recent-api-versions
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: namespace
  properties: {
    workspaceId: workspaceId
    logs: [
      { categoryGroup: 'allLogs', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

output namespaceName string = namespace.name
output queueName string = queue.name
// Host name only (no scheme or port), as the Functions identity-based connection expects it.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
