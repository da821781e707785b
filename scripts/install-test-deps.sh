#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (as root): the XMPP servers the integration tests
# start privately (Prosody, ejabberd), the independent peers they check delivery with (slixmpp, go-sendxmpp) and
# Apprise, the client that drives the Apprise API endpoint (apprise:// URLs), and Azurite (npm), the storage emulator the
# inbox forwarder's end-to-end test keeps its checkpoint blob and queue in. prosody-modules provides SASL2/Bind 2/FAST,
# which the tests load as patched copies (tests/Xmpp.TestServers/ProsodySasl2Modules.cs).
# The system services these packages start are stopped: tests run their own instances on free loopback ports.
set -euo pipefail
packages=(prosody prosody-modules ejabberd python3-slixmpp go-sendxmpp lua-unbound openssl time apprise nodejs)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# npm comes with some nodejs builds (NodeSource) and as its own package with Debian's.
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
azurite_version=3.37.0
if [ "$(azurite --version 2>/dev/null)" != "$azurite_version" ]; then
  echo "installing: azurite $azurite_version (npm)"
  npm install -g --no-fund --no-audit --loglevel=error "azurite@$azurite_version" >/dev/null
fi
# The packages' own services are not used; stop them so they neither hold ports nor use memory.
for service in prosody ejabberd; do
  if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done
# Versions from dpkg: `prosody --version` is not an option in 0.12 and would start the system server instead.
echo "test dependencies ready: prosody $(dpkg-query -W -f='${Version}' prosody), ejabberd $(dpkg-query -W -f='${Version}' ejabberd), azurite $(azurite --version)"
