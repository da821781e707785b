// XMPP notification function app on Flex Consumption: deploy into an existing resource group with
//   az deployment group create -g RG -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
// then publish the code (docs/functions-app.md).
targetScope = 'resourceGroup'

@minLength(3)
@maxLength(11)
@description('Short lowercase prefix for resource names; a hash of the resource group keeps globally unique names apart.')
param namePrefix string

param location string = resourceGroup().location

@secure()
@description('Apprise XMPP URL(s) stored in Key Vault, e.g. xmpps://notify:password@example.org/ops. Required on the first deployment; empty keeps the secret already stored.')
param xmppConnection string = ''

@description('Service Bus queue read by the Queue function.')
param queueName string = 'xmpp-notifications'

@description('Storage queue read by the StorageQueue function (lowercase letters, digits, hyphens); <name>-poison is created beside it.')
@minLength(3)
@maxLength(56)
param storageQueueName string = 'xmpp-notifications'

@maxLength(24)
@description('Key Vault name. Default: derived from namePrefix and the resource group. With purge protection a deleted vault keeps its name for the retention period (90 days by default): redeploying after deleting the resource group then needs another name (or purge protection off).')
param keyVaultName string = ''

@description('Key Vault purge protection (cannot be turned off on an existing vault). Off only for throwaway environments.')
param keyVaultPurgeProtection bool = true

@minValue(1)
@description('Deliveries of a queued notification before it is dead-lettered.')
param maxDeliveryCount int = 5

@description('Allow SAS keys on the Service Bus namespace (local development with a connection string). Production uses the identity only.')
param serviceBusAllowLocalAuth bool = false

@secure()
@description('Webhook receiving inbound XMPP messages (InboxForwarder function, multipart POST per item). Empty leaves the forwarder disabled.')
param inboxWebhookUrl string = ''

@description('Storage queue receiving inbound XMPP messages (InboxForwarder function, a JSON message per item; lowercase letters, digits, hyphens). Empty: no queue. With neither a webhook nor a queue the forwarder is disabled.')
@maxLength(63)
param inboxQueueName string = ''

@description('NCRONTAB schedule of the InboxForwarder function.')
param inboxSchedule string = '0 */5 * * * *'

param tags object = {}

var token = take(uniqueString(resourceGroup().id, namePrefix), 8)
// Names built from namePrefix are lower-cased: storage account names must be, and the others read alike.
var prefix = toLower(namePrefix)
var deploymentContainerName = 'app-package'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${prefix}-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${prefix}-${token}'
    applicationInsightsName: 'appi-${prefix}-${token}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    // Storage account names: 3-24 lowercase letters and digits.
    name: take('st${replace(prefix, '-', '')}${token}', 24)
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueName: storageQueueName
    inboxQueueName: inboxQueueName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    // Vault names: at most 24 characters.
    name: empty(keyVaultName) ? take('kv-${prefix}-${token}', 24) : keyVaultName
    location: location
    tags: tags
    xmppConnection: xmppConnection
    enablePurgeProtection: keyVaultPurgeProtection
    workspaceId: monitoring.outputs.workspaceId
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: 'sb-${prefix}-${token}'
    location: location
    tags: tags
    queueName: queueName
    maxDeliveryCount: maxDeliveryCount
    disableLocalAuth: !serviceBusAllowLocalAuth
    workspaceId: monitoring.outputs.workspaceId
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.outputs.principalId
    keyVaultName: keyVault.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    queueName: serviceBus.outputs.queueName
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    storageQueueName: storage.outputs.queueName
    storagePoisonQueueName: storage.outputs.poisonQueueName
    inboxQueueName: storage.outputs.inboxQueueName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The app starts resolving its Key Vault reference and storage at once; granting first avoids a failed first start.
  dependsOn: [
    roles
  ]
  params: {
    planName: 'plan-${prefix}-${token}'
    appName: 'func-${prefix}-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    xmppConnectionUri: keyVault.outputs.xmppConnectionUri
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    queueName: serviceBus.outputs.queueName
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageQueueName: storage.outputs.queueName
    inboxContainerName: storage.outputs.inboxContainerName
    inboxWebhookUrl: inboxWebhookUrl
    inboxQueueName: storage.outputs.inboxQueueName
    inboxSchedule: inboxSchedule
    workspaceId: monitoring.outputs.workspaceId
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output queueName string = serviceBus.outputs.queueName
output storageQueueName string = storage.outputs.queueName
output storageAccountName string = storage.outputs.name
output keyVaultName string = keyVault.outputs.name
