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
@description('Apprise XMPP URL(s) stored in Key Vault, e.g. xmpps://notify:password@example.org/ops.')
param xmppConnection string

param queueName string = 'xmpp-notifications'

@minValue(1)
@description('Deliveries of a queued notification before it is dead-lettered.')
param maxDeliveryCount int = 5

@description('Allow SAS keys on the Service Bus namespace (local development with a connection string). Production uses the identity only.')
param serviceBusAllowLocalAuth bool = false

param tags object = {}

var token = take(uniqueString(resourceGroup().id, namePrefix), 8)
var deploymentContainerName = 'app-package'

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${namePrefix}-${token}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${namePrefix}-${token}'
    applicationInsightsName: 'appi-${namePrefix}-${token}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    // Storage account names: 3-24 lowercase letters and digits.
    name: take('st${replace(namePrefix, '-', '')}${token}', 24)
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    // Vault names: at most 24 characters.
    name: take('kv-${namePrefix}-${token}', 24)
    location: location
    tags: tags
    xmppConnection: xmppConnection
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: 'sb-${namePrefix}-${token}'
    location: location
    tags: tags
    queueName: queueName
    maxDeliveryCount: maxDeliveryCount
    disableLocalAuth: !serviceBusAllowLocalAuth
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
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The app starts resolving its Key Vault reference and storage at once; granting first avoids a failed first start.
  dependsOn: [
    roles
  ]
  params: {
    planName: 'plan-${namePrefix}-${token}'
    appName: 'func-${namePrefix}-${token}'
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
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.defaultHostName
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output queueName string = serviceBus.outputs.queueName
output keyVaultName string = keyVault.outputs.name
