// The Functions host storage (AzureWebJobsStorage), the Flex Consumption deployment package container and the
// notification queue with its poison queue. Shared keys are disabled: the app reaches it only with its managed identity.
param name string
param location string
param tags object = {}
param deploymentContainerName string

@description('Storage queue read by the StorageQueue function; <name>-poison receives what cannot be delivered.')
param queueName string

@description('Queue receiving the InboxForwarder function\'s items; empty: none.')
param inboxQueueName string = ''

resource account 'Microsoft.Storage/storageAccounts@2025-08-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-08-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-08-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// The InboxForwarder function keeps its checkpoint here (blob "checkpoint").
resource inboxContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-08-01' = {
  parent: blobService
  name: 'xmpp-inbox'
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-08-01' = {
  parent: account
  name: 'default'
}

resource queue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-08-01' = {
  parent: queueService
  name: queueName
}

// Created here so the app needs no right to create queues: the host moves a message here after
// host.json queues.maxDequeueCount failed deliveries, and the function copies an unreadable one here at once.
resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-08-01' = {
  parent: queueService
  name: '${queueName}-poison'
}

// The InboxForwarder function puts each inbound item here (XmppInboxQueueName); created here for the same reason.
resource inboxQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-08-01' = if (!empty(inboxQueueName)) {
  parent: queueService
  name: empty(inboxQueueName) ? 'unused' : inboxQueueName
}

output name string = account.name
output queueEndpoint string = account.properties.primaryEndpoints.queue
output queueName string = queue.name
output poisonQueueName string = poisonQueue.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output deploymentContainerName string = deploymentContainer.name
output inboxContainerName string = inboxContainer.name
output inboxQueueName string = inboxQueueName
