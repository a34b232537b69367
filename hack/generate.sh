#!/usr/bin/env bash
# Regenerates everything derived from the hand-written v1 API packages:
#   1. apis/{networking/v1beta1,networking/v1alpha3,security/v1beta1} (hack/apiversions)
#   2. apis/**/zz_generated.deepcopy.go                              (controller-gen object)
#   3. manifests/crds/*.yaml, one multi-version CRD per kind          (controller-gen crd)
# Run from anywhere; it works on the repository containing this script.
# CONTROLLER_GEN may name a prebuilt controller-gen binary to use instead of the tool module's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ -n "${CONTROLLER_GEN:-}" ]]; then
	controller_gen=("$CONTROLLER_GEN")
else
	controller_gen=(go tool -modfile=tools/go.mod controller-gen)
fi

echo ">> copying v1 API packages to the other served versions"
go run ./hack/apiversions -root "$ROOT"

echo ">> generating deepcopy"
"${controller_gen[@]}" object:headerFile=hack/boilerplate.go.txt paths=./apis/...

echo ">> generating CRDs into manifests/crds"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Floats (Percent.value) need allowDangerousTypes.
"${controller_gen[@]}" crd:allowDangerousTypes=true paths=./apis/... output:crd:dir="$tmp"
mkdir -p manifests/crds
# Replace our CRDs wholesale so a removed kind does not leave a stale file behind.
rm -f manifests/crds/networking.istio.io_*.yaml manifests/crds/security.istio.io_*.yaml
cp "$tmp"/*.yaml manifests/crds/
