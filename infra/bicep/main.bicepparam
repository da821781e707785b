using './main.bicep'

param namePrefix = 'xmppnotify'
param queueName = 'xmpp-notifications'
param maxDeliveryCount = 5

param storageQueueName = 'xmpp-notifications'

// The Apprise URL holds a password: read it from the environment, never write it here.
//   export XMPP_CONNECTION='xmpps://notify:...@example.org/ops'
// Needed on the first deployment; unset (empty), a redeployment keeps the secret already in Key Vault.
param xmppConnection = readEnvironmentVariable('XMPP_CONNECTION', '')

// With purge protection a deleted vault keeps its name for 90 days; after deleting the resource group, redeploy
// with another name here (or keyVaultPurgeProtection = false for throwaway environments).
// param keyVaultName = 'kv-xmppnotify-2'
param keyVaultPurgeProtection = true

param tags = {
  app: 'xmpp-notifications'
}
