#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (as root): the XMPP servers the integration tests
# start privately (Prosody, ejabberd), the independent peers they check delivery with (slixmpp, go-sendxmpp) and
# Apprise, the client that drives the Apprise API endpoint (apprise:// URLs).
# The system services these packages start are stopped: tests run their own instances on free loopback ports.
set -euo pipefail
packages=(prosody ejabberd python3-slixmpp go-sendxmpp lua-unbound openssl time apprise)
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
# The packages' own services are not used; stop them so they neither hold ports nor use memory.
for service in prosody ejabberd; do
  if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done
# Versions from dpkg: `prosody --version` is not an option in 0.12 and would start the system server instead.
echo "test dependencies ready: prosody $(dpkg-query -W -f='${Version}' prosody), ejabberd $(dpkg-query -W -f='${Version}' ejabberd)"
