#!/usr/bin/env bash
# Fails if manifests/crds/ differ from what hack/generate.sh produces,
# or ca/pb/*.pb.go from what hack/genproto.sh produces.
# It regenerates into a temporary copy of the tree, so the working tree is never touched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Just what generation needs: the module files, the tool module, the inputs and outputs.
mkdir -p "$work/manifests"
cp "$ROOT/go.mod" "$ROOT/go.sum" "$work/"
cp -R "$ROOT/tools" "$ROOT/hack" "$work/"
if [[ -d "$ROOT/manifests/crds" ]]; then
	cp -R "$ROOT/manifests/crds" "$work/manifests/crds"
fi
# Protobuf: the buf configuration, the .proto files and their generated Go.
mkdir -p "$work/ca"
cp "$ROOT"/buf.yaml "$ROOT"/buf.gen.yaml "$work/"
cp -R "$ROOT/ca/pb" "$work/ca/pb"

if ! "$work/hack/generate.sh" >"$work/generate.log" 2>&1; then
	cat "$work/generate.log" >&2
	echo "verify-generated: hack/generate.sh failed (see above)" >&2
	exit 1
fi

if ! "$work/hack/genproto.sh" >"$work/genproto.log" 2>&1; then
	cat "$work/genproto.log" >&2
	echo "verify-generated: hack/genproto.sh failed (see above)" >&2
	exit 1
fi

status=0
for dir in manifests/crds ca/pb; do
	if ! diff -ru "$ROOT/$dir" "$work/$dir" >"$work/diff.txt" 2>&1; then
		sed -e "s|$work/|generated: |g" -e "s|$ROOT/|tree: |g" "$work/diff.txt" | head -200 >&2
		status=1
	fi
done
if [[ $status -ne 0 ]]; then
	echo "generated files are stale: run make generate (ca/pb: hack/genproto.sh)" >&2
	exit 1
fi
echo "generated files are up to date"
