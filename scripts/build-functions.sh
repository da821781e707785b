#!/usr/bin/env bash
# Builds the deployable function app:
#   1. packs the host extension XmppNotify.Azure.WebJobs.Extensions.Xmpp and every package of ours it depends on
#      (Xmpp.Client, Xmpp.Notifications, Xmpp.Notifications.Contracts) and the worker package into .artifacts/packages;
#   2. publishes src/XmppNotify.FunctionApp to .artifacts/functionapp (functions.metadata, worker.config.json,
#      extensions.json, .azurefunctions/), restoring the worker SDK's generated WorkerExtensions project from that folder;
#   3. checks that those files are there and name the xmpp binding.
#
# Package version: 0.1.0 (src/Packaging.props) plus a suffix derived from the commit and, for a modified working tree,
# a hash of the changes: the same sources always get the same version and (deterministic builds) the same bytes, and
# changed sources never reuse a version NuGet already cached. XMPP_PACKAGE_VERSION_SUFFIX overrides it; set it empty
# (XMPP_PACKAGE_VERSION_SUFFIX=) to pack a release version.
#
# XMPP_SERVICE_BUS=true|false (default false): whether the Service Bus consumer is built. Its worker extension package
# (Microsoft.Azure.Functions.Worker.Extensions.ServiceBus) must be restorable for true.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS

if [ -z "${XMPP_PACKAGE_VERSION_SUFFIX+set}" ]; then
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo nogit)
  suffix="dev.g$commit"
  if [ -n "$(git status --porcelain -- src host.json 2>/dev/null)" ]; then
    changes=$( { git diff HEAD --binary -- src host.json; git ls-files -o --exclude-standard -- src | LC_ALL=C sort | xargs -r sha256sum; } | sha256sum | cut -c1-10)
    suffix="$suffix.d$changes"
  fi
else
  suffix=$XMPP_PACKAGE_VERSION_SUFFIX
fi
service_bus=${XMPP_SERVICE_BUS:-false}
packages=$root/.artifacts/packages
out=$root/.artifacts/functionapp
props=(-c Release "-p:XmppPackageVersionSuffix=$suffix")
repo_url=$(git remote get-url origin 2>/dev/null || true)
[ -n "$repo_url" ] && props+=("-p:RepositoryUrl=$repo_url")
props+=("-p:RepositoryCommit=$(git rev-parse HEAD 2>/dev/null || echo unknown)")

version=$(dotnet msbuild src/XmppNotify.Azure.WebJobs.Extensions.Xmpp/XmppNotify.Azure.WebJobs.Extensions.Xmpp.csproj -nologo -getProperty:XmppPackageVersion "-p:XmppPackageVersionSuffix=$suffix")
rm -rf "$packages" "$out"
mkdir -p "$packages"
for project in Xmpp.Client Xmpp.Notifications Xmpp.Notifications.Contracts XmppNotify.Azure.WebJobs.Extensions.Xmpp XmppNotify.Azure.Functions.Worker.Extensions.Xmpp; do
  dotnet pack "src/$project/$project.csproj" "${props[@]}" -o "$packages" -nologo -v:q -clp:NoSummary
done
echo "packed into .artifacts/packages:"
(cd "$packages" && ls -l --block-size=K *.nupkg | awk '{print "  " $5 "  " $9}')

if [ "$service_bus" != true ]; then
  echo "Service Bus consumer LEFT OUT of this build (-p:XmppServiceBus=false): Microsoft.Azure.Functions.Worker.Extensions.ServiceBus is not restorable here; XMPP_SERVICE_BUS=true builds it."
fi
dotnet publish src/XmppNotify.FunctionApp/XmppNotify.FunctionApp.csproj "${props[@]}" "-p:XmppServiceBus=$service_bus" -o "$out" -nologo -v:q -clp:NoSummary

for f in functions.metadata worker.config.json extensions.json host.json .azurefunctions; do
  [ -e "$out/$f" ] || { echo "build-functions: $out/$f is missing" >&2; exit 1; }
done
python3 - "$out/functions.metadata" <<'PY' || exit 1
import json, sys
functions = json.load(open(sys.argv[1]))
with_xmpp = [f["name"] for f in functions if any(b["type"] == "xmpp" and b["direction"] == "Out" for b in f["bindings"])]
if not with_xmpp:
    sys.exit("build-functions: no function in functions.metadata has an xmpp output")
others = [f["name"] for f in functions if f["name"] not in with_xmpp]
if others:
    print("functions without an xmpp output: " + ", ".join(others))
PY
# The worker package's ExtensionInformation made the SDK install exactly the version packed above.
grep -q "\"XmppNotify.Azure.WebJobs.Extensions.Xmpp/$version\"" "$out/.azurefunctions/function.deps.json" \
  || { echo "build-functions: .azurefunctions does not hold XmppNotify.Azure.WebJobs.Extensions.Xmpp $version" >&2; exit 1; }
grep -q "XmppWebJobsStartup" "$out/extensions.json" || { echo "build-functions: extensions.json does not name XmppWebJobsStartup" >&2; exit 1; }
functions=$(python3 -c 'import json,sys; print(" ".join(f["name"] + "[" + ",".join(b["type"] for b in f["bindings"]) + "]" for f in json.load(open(sys.argv[1]))))' "$out/functions.metadata")
echo "function app (package version $version) in .artifacts/functionapp, $(du -sh "$out" | cut -f1): $functions"
echo "build-functions: $((SECONDS - started)) s"
