#!/usr/bin/env bash
# Mutation testing of the delivery-proof core with Stryker.NET (dotnet-stryker 5.1.0, a local tool: dotnet-tools.json).
# One source file at a time, one test process (the machine is shared), fast unit tests only (no real-server tests):
#   scripts/mutation-test.sh DeliveryTracker | UrlDelivery | XmppNotifier | AppriseParsing | Scram | all
# (Scram mutates the mechanism and its hash table together: one run, one score per file.)
# Settings and the reasons for what is ignored: bench/stryker/stryker-config.json and bench/stryker/README.md.
# Reports: .artifacts/stryker/<name>/reports/mutation-report.html (and .json); the score is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null

run() {
  local name=$1 project=$2 tests=$3 file=$4 filter=$5
  local out=".artifacts/stryker/$name"
  mkdir -p "$out"
  echo "== $name: $file with $tests"
  # Build (and so restore) first: Stryker reads package references from the project's restore output before it
  # builds, and stale obj/ assets (a package added since the last restore) make every mutant fail to compile.
  dotnet build "$tests" -c Release -v quiet -nologo >/dev/null
  local mutate=() f
  for f in $file; do mutate+=(--mutate "**/$f"); done
  (cd "$(dirname "$tests")" && dotnet stryker \
    --config-file "$OLDPWD/bench/stryker/stryker-config.json" \
    --project "$(basename "$project")" \
    --test-project "$(basename "$tests")" \
    "${mutate[@]}" \
    --test-case-filter "$filter" \
    --output "$OLDPWD/$out")
  for f in $file; do summary "$out/reports/mutation-report.json" "$f"; done
}

# The mutated file's own figures and every mutant that was not killed, by line (the HTML report shows the same).
summary() {
  python3 - "$1" "$2" <<'PY'
import json, sys
report, name = json.load(open(sys.argv[1])), sys.argv[2]
for path, f in report["files"].items():
    if not path.endswith("/" + name):
        continue
    lines, count = f["source"].split("\n"), {}
    for m in f["mutants"]:
        count[m["status"]] = count.get(m["status"], 0) + 1
    detected = count.get("Killed", 0) + count.get("Timeout", 0)
    valid = detected + count.get("Survived", 0) + count.get("NoCoverage", 0)
    print(f"{name}: {100 * detected / max(valid, 1):.2f} % ({detected}/{valid}) "
          + ", ".join(f"{k} {v}" for k, v in sorted(count.items())))
    for m in sorted(f["mutants"], key=lambda m: m["location"]["start"]["line"]):
        if m["status"] in ("Survived", "NoCoverage", "CompileError"):
            line = m["location"]["start"]["line"]
            print(f"  {m['status']:<12} {line:>4} {m['mutatorName']}: {m.get('replacement', '')[:60]!r}"
                  f"  | {lines[line - 1].strip()[:80]}")
PY
}

# Real-server tests (Integration, Notifier*Tests against Prosody) are left out: slow, and the replay tests pin the logic.
client_filter='FullyQualifiedName!~Integration'
# The notifier's rules run against a scripted loopback server (ScriptedDeliveryTests) and as plain unit tests; the
# URL parser's tests are its own namespace (the generated-URL properties are left out: thousands of cases per mutant).
notifier_filter='FullyQualifiedName~Notifier.Scripted|FullyQualifiedName~Notifier.MessagePlanTests|FullyQualifiedName~Notifier.RecipientCapTests'
parser_filter='FullyQualifiedName~Xmpp.Notifications.Tests.Apprise&FullyQualifiedName!~Properties'
case "${1:-all}" in
  DeliveryTracker) run DeliveryTracker src/Xmpp.Client/Xmpp.Client.csproj tests/Xmpp.Client.Tests/Xmpp.Client.Tests.csproj DeliveryTracker.cs "$client_filter" ;;
  Scram) run Scram src/Xmpp.Client/Xmpp.Client.csproj tests/Xmpp.Client.Tests/Xmpp.Client.Tests.csproj 'Sasl/SaslMechanismScram.cs Sasl/ScramHash.cs' "$client_filter" ;;
  UrlDelivery) run UrlDelivery src/Xmpp.Notifications/Xmpp.Notifications.csproj tests/Xmpp.Notifications.Tests/Xmpp.Notifications.Tests.csproj UrlDelivery.cs "$notifier_filter" ;;
  XmppNotifier) run XmppNotifier src/Xmpp.Notifications/Xmpp.Notifications.csproj tests/Xmpp.Notifications.Tests/Xmpp.Notifications.Tests.csproj XmppNotifier.cs "$notifier_filter" ;;
  AppriseParsing) run AppriseParsing src/Xmpp.Notifications/Xmpp.Notifications.csproj tests/Xmpp.Notifications.Tests/Xmpp.Notifications.Tests.csproj Apprise/AppriseXmppUrl.Parsing.cs "$parser_filter" ;;
  all) for n in DeliveryTracker Scram AppriseParsing UrlDelivery XmppNotifier; do "$0" "$n"; done ;;
  *) echo "usage: $0 DeliveryTracker|UrlDelivery|XmppNotifier|AppriseParsing|Scram|all" >&2; exit 2 ;;
esac
