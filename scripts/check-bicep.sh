#!/usr/bin/env bash
# Compiles and lints infra/bicep with the Bicep CLI from NuGet (infra/tools/bicep-tools.csproj, a PackageDownload of
# Azure.Bicep.CommandLine.linux-x64), so no Azure CLI is needed. Fails on any diagnostic: infra/bicep/bicepconfig.json
# raises the linter rules (use-recent-api-versions among them) to errors, and a warning here fails too.
# Output goes to .artifacts/bicep (main.json, main.parameters.json).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
dotnet restore infra/tools/bicep-tools.csproj -nologo -v:q
package_root=$(dotnet msbuild infra/tools/bicep-tools.csproj -getProperty:NuGetPackageRoot -nologo)
bicep="${package_root%/}/azure.bicep.commandline.linux-x64/0.49.2/tools/bicep"
chmod +x "$bicep"
out=.artifacts/bicep
mkdir -p "$out"
echo "bicep: $("$bicep" --version)"

diagnostics=$(mktemp)
trap 'rm -f "$diagnostics"' EXIT
check() {
  # Bicep prints diagnostics on stderr and may exit 0 for warnings; any diagnostic fails the check.
  if ! "$@" 2>"$diagnostics" || [ -s "$diagnostics" ]; then
    cat "$diagnostics" >&2
    echo "check-bicep: failed: ${*:2}" >&2
    exit 1
  fi
}
check "$bicep" build infra/bicep/main.bicep --outfile "$out/main.json"
check "$bicep" lint infra/bicep/main.bicep
# build-params with a placeholder secret, the way a deployment reads it from the environment; and without it, which
# is how a redeployment keeps the secret already stored.
XMPP_CONNECTION='xmpps://notify:placeholder@example.org/ops' check "$bicep" build-params infra/bicep/main.bicepparam --outfile "$out/main.parameters.json"
grep -q 'placeholder' "$out/main.parameters.json" || { echo "check-bicep: XMPP_CONNECTION did not reach the parameters" >&2; exit 1; }
(unset XMPP_CONNECTION; check "$bicep" build-params infra/bicep/main.bicepparam --stdout >/dev/null)
grep -q '"version": "10.0"' "$out/main.json" || { echo "check-bicep: function app runtime is not 10.0" >&2; exit 1; }
rm -f "$out/main.parameters.json"   # it holds the placeholder secret; nothing real, but no parameters file is kept
echo "check-bicep: build, lint, build-params clean ($((SECONDS - started)) s)"
