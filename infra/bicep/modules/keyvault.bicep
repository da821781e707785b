// RBAC-authorized Key Vault holding the Apprise XMPP URL(s). The value comes in as a secure parameter and is never
// an output: the app reads it through a Key Vault reference (functionapp.bicep) with its managed identity.
param name string
param location string
param tags object = {}
param secretName string = 'xmpp-connection'

@secure()
@description('Apprise XMPP URL(s), e.g. xmpps://user:password@example.org/ops; several separated by commas or whitespace.')
param xmppConnection string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: secretName
  properties: {
    value: xmppConnection
    contentType: 'text/plain'
  }
}

output name string = vault.name
// Versionless: the platform picks up a rotated secret without a redeployment. The URI is an address, not the value.
output xmppConnectionUri string = secret.properties.secretUri
