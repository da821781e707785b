using './main.bicep'

param namePrefix = 'xmppnotify'
param queueName = 'xmpp-notifications'
param maxDeliveryCount = 5

// The Apprise URL holds a password: read it from the environment, never write it here.
//   export XMPP_CONNECTION='xmpps://notify:...@example.org/ops'
param xmppConnection = readEnvironmentVariable('XMPP_CONNECTION')

param tags = {
  app: 'xmpp-notifications'
}
