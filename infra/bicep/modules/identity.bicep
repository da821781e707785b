// The one identity the function app runs as: storage, Service Bus, Key Vault and Application Insights all grant
// their roles to it (roles.bicep). User-assigned so the grants exist before the app first starts.
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
