#!/usr/bin/env bash
# End-to-end demo on a fresh Debian machine (as root): a private Prosody with accounts alice and bob, the native
# xmpp-notify CLI, an independent receiver logged in as bob (slixmpp), and one notification from alice to bob.
# Exits non-zero unless bob received it. Prosody is left running: scripts/dev-prosody.sh stop ends it.
#
#   scripts/demo.sh
#
# Needs the .NET 10 SDK (dotnet on PATH). Installs with apt-get when missing: prosody, openssl, python3-slixmpp,
# and a C toolchain (clang) for the NativeAOT link. Ports as in scripts/dev-prosody.sh (DEV_PROSODY_C2S_PORT...).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
out="$repo/.dev/xmpp-notify"
say() { echo "demo: $*" >&2; }
die() { echo "demo: $*" >&2; exit 1; }

command -v dotnet >/dev/null || die "the .NET 10 SDK is missing (dotnet is not on PATH)"

missing=()
command -v prosody >/dev/null || missing+=(prosody)
command -v openssl >/dev/null || missing+=(openssl)
/usr/bin/python3 -c 'import slixmpp' 2>/dev/null || missing+=(python3-slixmpp)
command -v clang >/dev/null || command -v gcc >/dev/null || missing+=(clang)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash scripts/dev-prosody.sh start >/dev/null
# shellcheck disable=SC1091
. .dev/prosody/accounts.env
# shellcheck disable=SC1091
. .dev/prosody/ports.env
ca="$repo/.dev/prosody/certs/ca.pem"

say "publishing xmpp-notify (NativeAOT) to $out"
if dotnet publish src/XmppNotify.Cli -c Release -r linux-x64 -o "$out" -nologo -v quiet >"$out.log" 2>&1 \
   && [ -x "$out/xmpp-notify" ]; then
  notify=("$out/xmpp-notify")
else
  # Without the native toolchain the managed build works too, only with a slower start.
  say "native publish failed (see $out.log); using the managed build"
  dotnet build src/XmppNotify.Cli -c Release -o "$out-managed" -nologo -v quiet >>"$out.log" 2>&1 || die "build failed, see $out.log"
  notify=(dotnet "$out-managed/xmpp-notify.dll")
fi

received="$(mktemp)"
receiver_pid=""
cleanup() {
  if [ -n "$receiver_pid" ]; then kill "$receiver_pid" 2>/dev/null || true; fi
  rm -f "$received"
}
trap cleanup EXIT

say "starting an independent receiver for $BOB_JID (slixmpp)"
SLIXMPP_PEER_PASSWORD="$BOB_PASSWORD" /usr/bin/python3 tests/Xmpp.TestServers/peers/slixmpp_listen.py \
  --jid "$BOB_JID" --host 127.0.0.1 --port "$C2S_PORT" --ca "$ca" >"$received" 2>"$received.err" &
receiver_pid=$!
for _ in $(seq 1 200); do
  grep -q '"event": "ready"' "$received" && break
  kill -0 "$receiver_pid" 2>/dev/null || { cat "$received.err" >&2; die "the receiver exited before it was ready"; }
  sleep 0.1
done
grep -q '"event": "ready"' "$received" || die "the receiver was not ready within 20 s"

marker="demo-$(date +%s)-$$"
url="xmpps://alice:$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$ALICE_PASSWORD")@$XMPP_DOMAIN:$C2S_PORT/bob?xmpp=127.0.0.1"
say "sending from $ALICE_JID to $BOB_JID: ${notify[*]} -t 'xmpp-notify demo' -b '...' 'xmpps://alice:****@$XMPP_DOMAIN:$C2S_PORT/bob?xmpp=127.0.0.1'"
start_ns=$(date +%s%N)
set +e
# The URL cannot name a CA; .NET on Linux reads its trust store from SSL_CERT_FILE / SSL_CERT_DIR like OpenSSL.
SSL_CERT_FILE="$ca" "${notify[@]}" -t "xmpp-notify demo" -b "Hello Bob, this is Alice ($marker)" "$url"
rc=$?
set -e
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
[ "$rc" = 0 ] || die "xmpp-notify exited with $rc"
say "xmpp-notify exited 0 after ${elapsed_ms} ms (delivery acknowledged by the server)"

for _ in $(seq 1 150); do
  grep -q "$marker" "$received" && break
  sleep 0.1
done
line="$(grep -m1 "$marker" "$received" || true)"
[ -n "$line" ] || { cat "$received" >&2; die "bob did not receive the message within 15 s"; }
body="$(/usr/bin/python3 -c 'import json, sys; m = json.loads(sys.argv[1]); print(" / ".join(m["body"].splitlines()))' "$line")"
echo "bob received: $body"
rm -f "$received.err"
echo
echo "Prosody is still running (accounts in .dev/prosody/accounts.env). Stop it with: scripts/dev-prosody.sh stop"
