// RBAC-authorized Key Vault holding the Apprise XMPP URL(s). The value comes in as a secure parameter and is never
// an output: the app reads it through a Key Vault reference (functionapp.bicep) with its managed identity.
// Audit events (every secret read, by whom) go to Log Analytics.
param name string
param location string
param tags object = {}
param secretName string = 'xmpp-connection'

@secure()
@description('Apprise XMPP URL(s), e.g. xmpps://user:password@example.org/ops; several separated by commas or whitespace. Empty keeps the secret already stored.')
param xmppConnection string

@description('Purge protection: a deleted vault (and its name) is kept for softDeleteRetentionInDays and cannot be purged early. Cannot be turned off once on.')
param enablePurgeProtection bool = true

@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Log Analytics workspace receiving the audit log.')
param workspaceId string

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
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
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The API accepts true or nothing: once on, purge protection cannot be switched off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

// Written only when a value is given, so that a redeployment without XMPP_CONNECTION keeps the stored secret.
resource secret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(xmppConnection)) {
  parent: vault
  name: secretName
  properties: {
    value: xmppConnection
    contentType: 'text/plain'
  }
}

// 2021-05-01-preview is the newest version of this type; the one non-preview version (2016-09-01) is the legacy
// service-level setting without categoryGroup.
#disable-next-line use-recent-api-versions
resource audit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [
      { categoryGroup: 'audit', enabled: true }
    ]
    metrics: [
      { category: 'AllMetrics', enabled: true }
    ]
  }
}

output name string = vault.name
// Versionless: the platform picks up a rotated secret without a redeployment. The URI is an address, not the value.
output xmppConnectionUri string = '${vault.properties.vaultUri}secrets/${secretName}'
