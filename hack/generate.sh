#!/usr/bin/env bash
# Regenerates manifests/crds/*.yaml: Istio's CRDs exactly as the istio.io/api
# module in go.mod ships them, one file per CRD (hack/istiocrds).
# Run from anywhere; it works on the repository containing this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

api_dir="$(go list -m -f '{{.Dir}}' istio.io/api)"
api_version="$(go list -m -f '{{.Version}}' istio.io/api)"
echo ">> writing Istio's CRDs (istio.io/api $api_version) into manifests/crds"
mkdir -p manifests/crds
# Replace wholesale so a CRD Istio drops does not leave a stale file behind.
rm -f manifests/crds/*.istio.io_*.yaml
go run ./hack/istiocrds -src "$api_dir/kubernetes/customresourcedefinitions.gen.yaml" -version "$api_version" -out manifests/crds
