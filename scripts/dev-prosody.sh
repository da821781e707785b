#!/usr/bin/env bash
# A private Prosody for local development and the README demo, built from the same config template as the
# tests (tests/Xmpp.TestServers/prosody.cfg.lua.in). Everything lives in .dev/prosody/ in the repository;
# /etc/prosody and the system service are never touched.
#
#   scripts/dev-prosody.sh start|stop|status
#
# Ports: DEV_PROSODY_C2S_PORT (5222), DEV_PROSODY_TLS_PORT (5223), DEV_PROSODY_HTTP_PORT (5280),
#        DEV_PROSODY_HTTPS_PORT (5281); DEV_PROSODY_DOMAIN (localhost); DEV_PROSODY_EXTRA (raw Lua).
# Needs prosody and openssl; installs them with apt-get when missing (that needs root).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$repo/.dev/prosody"
template="$repo/tests/Xmpp.TestServers/prosody.cfg.lua.in"
domain="${DEV_PROSODY_DOMAIN:-localhost}"
c2s="${DEV_PROSODY_C2S_PORT:-5222}"
tls="${DEV_PROSODY_TLS_PORT:-5223}"
http="${DEV_PROSODY_HTTP_PORT:-5280}"
https="${DEV_PROSODY_HTTPS_PORT:-5281}"

die() { echo "dev-prosody: $*" >&2; exit 1; }

running_pid() {
  [ -f "$dir/server.pid" ] || return 1
  local pid; pid="$(cat "$dir/server.pid")"
  kill -0 "$pid" 2>/dev/null && grep -q prosody "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

ensure_installed() {
  command -v prosody >/dev/null && command -v prosodyctl >/dev/null && command -v openssl >/dev/null && return
  [ "$(id -u)" = 0 ] || die "prosody/openssl missing; run as root (or: sudo apt-get install -y prosody openssl)"
  echo "dev-prosody: installing prosody and openssl with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prosody openssl >/dev/null
  # The package starts a system service on 5222; this script needs neither it nor its ports.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prosody 2>/dev/null; then
    echo "dev-prosody: note: the system prosody service is running and may hold port 5222" >&2
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

make_certs() {
  mkdir -p "$dir/certs"
  [ -f "$dir/certs/server.crt" ] && return
  local c="$dir/certs"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=dev-prosody CA $domain" -keyout "$c/ca.key" -out "$c/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=$domain" -keyout "$c/server.key" -out "$c/server.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=DNS:$domain,DNS:*.$domain,DNS:conference.$domain,DNS:localhost,IP:127.0.0.1,IP:::1" > "$c/server.ext"
  openssl x509 -req -in "$c/server.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" -CAcreateserial -days 825 \
    -extfile "$c/server.ext" -out "$c/server.leaf.crt" 2>/dev/null
  cat "$c/server.leaf.crt" "$c/ca.pem" > "$c/server.crt"
  chmod 600 "$c/server.key" "$c/ca.key"
}

render_config() {
  local extra="${DEV_PROSODY_EXTRA:-}"
  # Same substitutions as ProsodyServer.WriteConfig; awk keeps slashes and ampersands in values literal.
  awk -v data="$dir" -v domain="$domain" -v c2s="$c2s" -v tls="$tls" -v http="$http" -v https="$https" -v extra="$extra" '
    function sub_all(s, name, value,   out, i) {
      out = ""; name = "@" name "@";
      while ((i = index(s, name)) > 0) { out = out substr(s, 1, i - 1) value; s = substr(s, i + length(name)); }
      return out s;
    }
    {
      line = $0
      line = sub_all(line, "DATA_DIR", data); line = sub_all(line, "DOMAIN", domain)
      line = sub_all(line, "C2S_PORT", c2s); line = sub_all(line, "DIRECT_TLS_PORT", tls)
      line = sub_all(line, "HTTP_PORT", http); line = sub_all(line, "HTTPS_PORT", https)
      line = sub_all(line, "NAGLE", "false"); line = sub_all(line, "LOG_LEVEL", "info")
      line = sub_all(line, "OPTIONAL_MODULES", "\"smacks\"; \"http\"; \"websocket\";")
      line = sub_all(line, "DISABLED_MODULES", ""); line = sub_all(line, "PASSWORD_HASH", "SHA-1")
      line = sub_all(line, "REQUIRE_ENCRYPTION", "true"); line = sub_all(line, "ALLOW_PLAIN", "false")
      line = sub_all(line, "EXTRA_CONFIG", extra)
      print line
    }' "$template" > "$dir/prosody.cfg.lua"
  if grep -q '@[A-Z_]*@' "$dir/prosody.cfg.lua"; then die "unfilled placeholder in $dir/prosody.cfg.lua"; fi
}

register_accounts() {
  if [ ! -f "$dir/accounts.env" ]; then
    local alice bob
    alice="$(openssl rand -hex 12)"; bob="$(openssl rand -hex 12)"
    printf 'XMPP_DOMAIN=%s\nALICE_JID=alice@%s\nALICE_PASSWORD=%s\nBOB_JID=bob@%s\nBOB_PASSWORD=%s\n' \
      "$domain" "$domain" "$alice" "$domain" "$bob" > "$dir/accounts.env"
    chmod 600 "$dir/accounts.env"
  fi
  # shellcheck disable=SC1091
  . "$dir/accounts.env"
  prosodyctl --config "$dir/prosody.cfg.lua" register alice "$domain" "$ALICE_PASSWORD" >/dev/null
  prosodyctl --config "$dir/prosody.cfg.lua" register bob "$domain" "$BOB_PASSWORD" >/dev/null
}

wait_ready() {
  local deadline=$((SECONDS + 15)) chunk
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$1" 2>/dev/null; then tail -20 "$dir/prosody.log" >&2; die "prosody exited while starting"; fi
    if { exec 3<>"/dev/tcp/127.0.0.1/$c2s"; } 2>/dev/null; then
      printf "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" "$domain" >&3
      # The server never sends a newline, so read element by element up to '>'.
      while IFS= read -r -t 2 -d '>' chunk <&3; do
        case "$chunk" in *stream:features*) exec 3<&-; return 0 ;; esac
      done
      exec 3<&-
    fi
    sleep 0.1
  done
  tail -20 "$dir/prosody.log" >&2
  die "prosody did not answer on port $c2s within 15 s"
}

start() {
  ensure_installed
  if pid="$(running_pid)"; then echo "dev-prosody: already running (pid $pid)"; print_usage; return; fi
  for p in "$c2s" "$tls" "$http" "$https"; do
    port_free "$p" || die "port $p is in use (system prosody?). Pick others, e.g. DEV_PROSODY_C2S_PORT=15222 DEV_PROSODY_TLS_PORT=15223 DEV_PROSODY_HTTP_PORT=15280 DEV_PROSODY_HTTPS_PORT=15281 $0 start"
  done
  mkdir -p "$dir/data"
  make_certs
  render_config
  register_accounts
  nohup prosody --config "$dir/prosody.cfg.lua" -F >"$dir/stdout.log" 2>&1 </dev/null &
  echo $! > "$dir/server.pid"
  wait_ready "$!"
  { echo "C2S_PORT=$c2s"; echo "DIRECT_TLS_PORT=$tls"; echo "HTTP_PORT=$http"; echo "HTTPS_PORT=$https"; } > "$dir/ports.env"
  echo "dev-prosody: running (pid $(cat "$dir/server.pid")), log $dir/prosody.log"
  print_usage
}

print_usage() {
  # shellcheck disable=SC1091
  . "$dir/accounts.env"
  [ -f "$dir/ports.env" ] && . "$dir/ports.env"
  cat <<USAGE

Accounts (saved in $dir/accounts.env):
  $ALICE_JID  $ALICE_PASSWORD
  $BOB_JID    $BOB_PASSWORD
CA certificate: $dir/certs/ca.pem   MUC service: conference.$domain
WebSocket: ws://127.0.0.1:${HTTP_PORT:-$http}/xmpp-websocket

Apprise URLs (alice -> bob):
  xmpps://alice:$ALICE_PASSWORD@$domain:${C2S_PORT:-$c2s}/bob?verify=no
  xmpps://alice:$ALICE_PASSWORD@$domain:${DIRECT_TLS_PORT:-$tls}/bob?mode=tls&verify=no
  (to verify instead of verify=no, trust the CA, e.g. SSL_CERT_FILE=$dir/certs/ca.pem)

go-sendxmpp: echo hi | SSL_CERT_FILE=$dir/certs/ca.pem go-sendxmpp -j 127.0.0.1:${C2S_PORT:-$c2s} -u $ALICE_JID -p \$ALICE_PASSWORD $BOB_JID
USAGE
}

stop() {
  if pid="$(running_pid)"; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "dev-prosody: stopped (pid $pid)"
  else
    echo "dev-prosody: not running"
  fi
  rm -f "$dir/server.pid"
}

status() {
  if pid="$(running_pid)"; then echo "dev-prosody: running (pid $pid)"; print_usage; else echo "dev-prosody: not running"; return 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
