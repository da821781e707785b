// Least-privilege data-plane roles for the app's user-assigned identity, each on the narrowest scope that works.
// Built-in role definition IDs (the same in every tenant):
var roleIds = {
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageQueueDataMessageProcessor: '8a0f0c08-91a1-4084-bc3d-661d67233fed'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageQueueDataReader: '19e7f393-937e-4f77-808e-94535e297925'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

param principalId string
param keyVaultName string
param serviceBusNamespaceName string
param queueName string
param storageAccountName string
param applicationInsightsName string
param storageQueueName string
param storagePoisonQueueName string
@description('Queue the InboxForwarder function adds inbound items to; empty: none.')
param inboxQueueName string = ''

@description('Storage Queue Data Contributor on the whole host storage account. Nothing in this app needs it (the notification queues get narrower roles below; no blob trigger, no Durable Functions); enable it when you add such functions.')
param grantStorageQueue bool = false

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' existing = {
  name: serviceBusNamespaceName
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' existing = {
  parent: namespace
  name: queueName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-08-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-08-01' existing = {
  parent: storage
  name: 'default'
}

resource storageQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-08-01' existing = {
  parent: queueService
  name: storageQueueName
}

resource storagePoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-08-01' existing = {
  parent: queueService
  name: storagePoisonQueueName
}

resource inboxQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-08-01' existing = if (!empty(inboxQueueName)) {
  parent: queueService
  name: empty(inboxQueueName) ? 'unused' : inboxQueueName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Read the Apprise URL secret (Key Vault reference, or the binding resolving a secret URI). Read-only, secrets only;
// the vault is dedicated to this app, so vault scope also covers a rotated or added connection secret.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleIds.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Receive, complete, abandon and dead-letter on this queue only. No Sender: the app never sends to Service Bus
// (a retry is the broker's redelivery; dead-lettering is a settlement of the received message, not a send).
// No Owner/Manage either: without it the trigger's scaling cannot read the exact queue length and falls back to
// peeking the oldest message, which is enough for a notification queue.
resource serviceBusReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(queue.id, principalId, roleIds.serviceBusDataReceiver)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.serviceBusDataReceiver)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The Functions host keeps its keys (azure-webjobs-secrets) and singleton/listener leases (azure-webjobs-hosts) in
// blobs and creates those containers itself; Flex Consumption also reads the deployment package with this identity.
// Creating containers and taking leases needs Owner rather than Contributor.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The host writes diagnostic events to a table in AzureWebJobsStorage; without this it logs table errors.
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Blob triggers and Durable Functions keep queues in AzureWebJobsStorage; this app has neither.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantStorageQueue) {
  name: guid(storage.id, principalId, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The Storage queue trigger peeks and reads the queue (Reader) and deletes or updates messages it processed
// (Message Processor), on the notification queue only.
resource storageQueueReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageQueue.id, principalId, roleIds.storageQueueDataReader)
  scope: storageQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource storageQueueProcessor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageQueue.id, principalId, roleIds.storageQueueDataMessageProcessor)
  scope: storageQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataMessageProcessor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The poison queue: the host moves a message there after maxDequeueCount failures and the function copies an
// unreadable one there (a queue output binding). Both add messages only, but the queue extension may first ask to
// create the queue (it exists, storage.bicep), which Message Sender does not allow: Contributor, on this queue only,
// as Microsoft's role table for the queue output binding asks.
resource storagePoisonContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storagePoisonQueue.id, principalId, roleIds.storageQueueDataContributor)
  scope: storagePoisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The inbox forwarder only adds messages to its queue, which storage.bicep created: Message Sender on that queue.
resource inboxQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(inboxQueueName)) {
  name: guid(inboxQueue.id, principalId, roleIds.storageQueueDataMessageSender)
  scope: inboxQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataMessageSender)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry is sent with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING); the component has local auth off.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roleIds.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
