#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries that tests/kubeenv runs
# (kube-apiserver, kube-controller-manager, kubectl) and a small etcd, from
# source through the Go module proxy, into a cache outside the repo keyed by
# version:
#
#   $CACHE/<kubernetes version>/{kube-apiserver,kube-controller-manager,kubectl}
#   $CACHE/etcd-<etcd version>/etcd
#
# CACHE is ${WEFT_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft/kube}.
# Only missing binaries are built. Each build goes to a temporary directory
# beside its destination and is renamed into place, so an interrupted build
# never leaves a half-written binary. A lock serializes concurrent runs (two
# test packages, two people); the second one finds the binaries built.
#
# Usage: hack/kubebin/build.sh [--print-dirs]
#   --print-dirs  print the two binary directories and exit without building
# A cold build takes about 10 minutes on 2 cores (tests/kubeenv/README.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${WEFT_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft/kube}"

# Versions come from the go.mod files so the cache key cannot drift from what
# is actually built.
modversion() { # modversion <go.mod> <module path>
	awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}
kube_version="$(modversion "$here/go.mod" k8s.io/kubernetes)"
etcd_version="$(modversion "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)"
[[ -n "$kube_version" && -n "$etcd_version" ]] || { echo "build.sh: cannot read versions from go.mod files" >&2; exit 1; }
kube_dir="$cache/$kube_version"
etcd_dir="$cache/etcd-$etcd_version"

if [[ "${1:-}" == "--print-dirs" ]]; then
	echo "$kube_dir"
	echo "$etcd_dir"
	exit 0
fi

# The go.sum files are committed: never rewrite them, never consult a go.work
# above this directory, and keep VCS stamping off (the repo is not the module).
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

mkdir -p "$cache"
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
	echo "build.sh: another build holds $cache/.build.lock; waiting for it"
	flock 9
fi

missing() { # missing <dir> <name>... : print the names without an executable in dir
	local dir="$1" n
	shift
	for n in "$@"; do [[ -x "$dir/$n" ]] || echo "$n"; done
}

# build <module dir> <dest dir> <ldflags> <name=package>... builds every listed
# package in one go build (they share most of their dependencies) and then
# renames each binary into dest.
build() {
	local moddir="$1" dest="$2" ldflags="$3" tmp start pkgs=() names=() kv
	shift 3
	for kv in "$@"; do names+=("${kv%%=*}"); pkgs+=("${kv#*=}"); done
	mkdir -p "$dest"
	# Leftovers of a build that was killed outright (we hold the lock).
	rm -rf "$dest"/.build.*
	tmp="$(mktemp -d "$dest/.build.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	start=$SECONDS
	echo "build.sh: building ${names[*]} into $dest (cold: minutes)"
	(cd "$moddir" && go build -trimpath -ldflags="$ldflags" -o "$tmp/" "${pkgs[@]}")
	for n in "${names[@]}"; do
		mv -f "$tmp/$n" "$dest/$n"
		echo "build.sh: installed $dest/$n"
	done
	rm -rf "$tmp"
	trap - EXIT
	echo "build.sh: built ${names[*]} in $((SECONDS - start))s"
}

mapfile -t want_etcd < <(missing "$etcd_dir" etcd)
if ((${#want_etcd[@]})); then
	build "$here/etcd" "$etcd_dir" "-s -w" "etcd=github.com/weftmesh/weft/hack/kubebin/etcd"
else
	echo "build.sh: etcd $etcd_version present in $etcd_dir"
fi

mapfile -t want_kube < <(missing "$kube_dir" kube-apiserver kube-controller-manager kubectl)
if ((${#want_kube[@]})); then
	# The same version stamps Kubernetes' own build sets, so `kubectl version`
	# and /version report v1.x.y rather than v0.0.0-master.
	major="${kube_version#v}"; major="${major%%.*}"
	minor="${kube_version#v*.}"; minor="${minor%%.*}"
	ld="-s -w"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$kube_version -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
	done
	args=()
	for n in "${want_kube[@]}"; do args+=("$n=k8s.io/kubernetes/cmd/$n"); done
	build "$here" "$kube_dir" "$ld" "${args[@]}"
else
	echo "build.sh: kubernetes $kube_version binaries present in $kube_dir"
fi
