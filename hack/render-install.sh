#!/usr/bin/env bash
# Renders manifests/install.yaml from the Helm chart manifests/charts/weft:
#   1. copies manifests/crds/*.yaml (made by hack/generate.sh) into the
#      chart's crds/, which Helm installs before templates and never templates;
#   2. renders the chart with its default values into weft-system with
#      hack/helmrender (Helm's Go SDK in its own module: no helm binary,
#      cluster or network beyond the Go module proxy on a first build).
# manifests/manifests_test.go fails when either output is stale.
# Run from anywhere; it works on the repository containing this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

chart=manifests/charts/weft

echo ">> copying manifests/crds into $chart/crds"
mkdir -p "$chart/crds"
# Replace wholesale so a CRD removed from manifests/crds leaves no stale copy.
rm -f "$chart"/crds/*.yaml
cp manifests/crds/*.yaml "$chart/crds/"

echo ">> rendering $chart into manifests/install.yaml"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
# GOWORK=off: helmrender is its own module with its own (Helm's) k8s.io pins.
(cd hack/helmrender && GOWORK=off go run . -chart "$ROOT/$chart") >"$tmp"
# Write through the existing file (not mv) so its mode stays 0644.
cat "$tmp" >manifests/install.yaml
echo ">> wrote manifests/install.yaml ($(grep -c '^# Source: ' manifests/install.yaml) objects)"
