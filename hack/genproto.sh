#!/usr/bin/env bash
# Regenerates Go code from weft's .proto files (today: ca/pb/ca.proto, weft's
# Istio-compatible certificate service) into *.pb.go next to each .proto.
#
# buf compiles the .proto files itself and runs protoc-gen-go and
# protoc-gen-go-grpc through `go tool`, all three pinned in tools/go.mod, so no
# system protoc, no binaries on PATH and no remote plugins are involved
# (configuration: buf.yaml, buf.gen.yaml). Run from anywhere.
# BUF may name a prebuilt buf binary to use instead of the tool module's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ -n "${BUF:-}" ]]; then
	buf=("$BUF")
else
	buf=(go tool -modfile=tools/go.mod buf)
fi

echo ">> generating Go code from ca/pb/*.proto"
# Remove old outputs first so a deleted .proto leaves no stale .pb.go behind.
find ca/pb -name '*.pb.go' -delete
"${buf[@]}" generate
