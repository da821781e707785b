// Flex Consumption (FC1, Linux) function app running .NET 10 isolated, entirely on its user-assigned identity:
// host storage, deployment package, Service Bus and Storage queue triggers, Key Vault reference and Application
// Insights. The runtime is set in functionAppConfig.runtime; Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION as app settings.
param planName string
param appName string
param location string
param tags object = {}

param identityId string
param identityClientId string

param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string

param applicationInsightsConnectionString string

@description('Versionless URI of the Key Vault secret holding the Apprise XMPP URL(s).')
param xmppConnectionUri string

param serviceBusFullyQualifiedNamespace string
param queueName string

param storageQueueEndpoint string
param storageQueueName string

param inboxContainerName string
@secure()
param inboxWebhookUrl string
param inboxQueueName string
param inboxSchedule string

@description('Log Analytics workspace receiving the function app logs (FunctionAppLogs) and metrics.')
param workspaceId string

param maximumInstanceCount int = 40
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 512

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references (XmppConnection below) are resolved with this identity instead of a system-assigned one.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Host storage through the identity: no account key anywhere.
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // Telemetry authenticated with Entra ID (the component has local auth disabled).
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        // The platform resolves the reference; the binding sees the URL(s) as the setting's value.
        { name: 'XmppConnection', value: '@Microsoft.KeyVault(SecretUri=${xmppConnectionUri})' }
        // The Service Bus trigger connects as the identity.
        { name: 'ServiceBusConnection__fullyQualifiedNamespace', value: serviceBusFullyQualifiedNamespace }
        { name: 'ServiceBusConnection__credential', value: 'managedidentity' }
        { name: 'ServiceBusConnection__clientId', value: identityClientId }
        { name: 'XmppQueueName', value: queueName }
        // The Storage queue trigger and its poison-queue output connect as the identity.
        { name: 'XmppStorageQueueConnection__queueServiceUri', value: storageQueueEndpoint }
        { name: 'XmppStorageQueueConnection__credential', value: 'managedidentity' }
        { name: 'XmppStorageQueueConnection__clientId', value: identityClientId }
        { name: 'XmppStorageQueueName', value: storageQueueName }
        // The inbox forwarder: off (disabled) without a webhook or a queue; its checkpoint blob and queue are reached
        // as the identity, which holds Storage Blob Data Owner on this account and Message Sender on the queue (roles.bicep).
        { name: 'XmppInboxSchedule', value: inboxSchedule }
        { name: 'XmppInboxWebhookUrl', value: inboxWebhookUrl }
        { name: 'XmppInboxQueueName', value: inboxQueueName }
        { name: 'XmppInboxQueueConnection__queueServiceUri', value: storageQueueEndpoint }
        { name: 'XmppInboxQueueConnection__clientId', value: identityClientId }
        { name: 'AzureWebJobs.InboxForwarder.Disabled', value: empty(inboxWebhookUrl) && empty(inboxQueueName) ? 'true' : 'false' }
        { name: 'XmppInboxCheckpointConnection__blobServiceUri', value: storageBlobEndpoint }
        { name: 'XmppInboxCheckpointConnection__clientId', value: identityClientId }
        { name: 'XmppInboxCheckpointContainer', value: inboxContainerName }
        // DefaultAzureCredential in the binding picks this identity when XmppConnection holds a secret URI that the
        // extension resolves itself (docs/functions-app.md, Key Vault option 3).
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// 2021-05-01-preview is the newest version of this type; the one non-preview version (2016-09-01) is the legacy
// service-level setting without categoryGroup.
#disable-next-line use-recent-api-versions
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: app
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

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
