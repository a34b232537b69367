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
#
# Prebuilt binaries: when KUBEBUILDER_ASSETS (setup-envtest's directory) holds
# kube-apiserver or kubectl of the same minor version (v1.36.x), those are used
# and not built. A different minor is an error, not a silent rebuild: the
# variable was set to avoid this build, so the user should learn it did not.
# etcd is never taken from there: kubeenv runs its own small etcd
# (hack/kubebin/etcd: picks a free port and writes it to a file), whose flags
# upstream etcd does not have; it builds in about a minute. envtest has no
# kube-controller-manager, so that one is built (or taken from the cache).
#
# Only missing binaries are built. Each build goes to a temporary directory
# beside its destination and is renamed into place, so an interrupted build
# never leaves a half-written binary. A lock file serializes concurrent runs.
#
#   build.sh               build what is missing, then print where each binary is
#   build.sh --background  the same, detached and niced, output in $CACHE/build.log
#                          (make test starts it first; the Kubernetes tests wait on the lock)
#   build.sh --no-retry    the same as build.sh, unless the last build failed: then print
#                          its log and fail (tests/kubeenv: a failed build of make test's
#                          fails the tests with its log rather than being started again)
#   build.sh --print-bins  "name path" per binary, building nothing (tests/kubeenv)
#   build.sh --print-dirs  the two cache directories
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${WEFT_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft/kube}"
assets="${KUBEBUILDER_ASSETS:-}"

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
kube_minor="${kube_version%.*}" # v1.36

if [[ "${1:-}" == "--print-dirs" ]]; then
	echo "$kube_dir"
	echo "$etcd_dir"
	exit 0
fi

# from_assets <name>: print the KUBEBUILDER_ASSETS path of name when it is
# there and of our minor version; nothing when it is not there; exit 1 with
# what to do when it is there but of another version.
from_assets() {
	local name="$1" path version
	[[ -n "$assets" && -x "$assets/$name" ]] || return 0
	path="$assets/$name"
	case "$name" in
	kubectl) version="$("$path" version --client 2>/dev/null | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)" ;;
	*) version="$("$path" --version 2>/dev/null | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)" ;;
	esac
	if [[ "${version%.*}" != "$kube_minor" ]]; then
		echo "build.sh: KUBEBUILDER_ASSETS has $path ${version:-of unknown version}, weft's tests need $kube_minor.x." >&2
		echo "  Point KUBEBUILDER_ASSETS at a $kube_minor set (setup-envtest use ${kube_minor#v}.x -p path), or unset it to build $kube_version from source." >&2
		exit 1
	fi
	echo "$path"
}

# where <name>: the binary the tests use, whether or not it exists yet.
where() {
	local p
	case "$1" in
	etcd) echo "$etcd_dir/etcd"; return ;;
	kube-controller-manager) echo "$kube_dir/$1"; return ;;
	esac
	p="$(from_assets "$1")" || exit 1
	echo "${p:-$kube_dir/$1}"
}

names=(etcd kube-apiserver kube-controller-manager kubectl)
print_bins() {
	local n p
	for n in "${names[@]}"; do
		p="$(where "$n")" || exit 1
		echo "$n $p"
	done
}
missing() { # the names whose binary is not there yet
	local n p
	for n in "${names[@]}"; do
		p="$(where "$n")" || exit 1
		[[ -x "$p" ]] || echo "$n"
	done
}

case "${1:-}" in
--print-bins)
	print_bins
	exit 0
	;;
--background)
	want="$(missing)" || exit 1
	if [[ -z "$want" ]]; then
		echo "build.sh: Kubernetes binaries present (build.sh --print-bins lists them)"
		exit 0
	fi
	mkdir -p "$cache"
	log="$cache/build.log"
	rm -f "$cache/.build.failed" # an older failure; this build decides now
	# nice: the tests running meanwhile are the ones with deadlines. The log
	# is written only once the lock is held (WEFT_KUBEBIN_LOG below), so a
	# second make test cannot truncate a running build's log.
	WEFT_KUBEBIN_LOG="$log" nohup nice -n 10 bash "$0" >/dev/null 2>&1 </dev/null &
	echo "build.sh: building" $want "in the background (pid $!, log $log);" \
		"the Kubernetes tests wait for it and fail with that log if it fails"
	exit 0
	;;
"" | --no-retry) ;;
*)
	echo "build.sh: unknown argument $1 (see the comment at the top of $0)" >&2
	exit 2
	;;
esac

# The go.sum files are committed: never rewrite them, never consult a go.work
# above this directory, and keep VCS stamping off (the repo is not the module).
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"

# A version mismatch in KUBEBUILDER_ASSETS fails here, before waiting for anybody.
missing >/dev/null || exit 1
mkdir -p "$cache"
failed="$cache/.build.failed" # written by a failed build, holds its log's path
exec 9>"$cache/.build.lock"
if ! flock -n 9; then
	echo "build.sh: another build holds $cache/.build.lock; waiting for it"
	flock 9
fi
if [[ "${1:-}" == --no-retry && -f "$failed" && -n "$(missing)" ]]; then
	log="$(cat "$failed")"
	echo "build.sh: the last build of these binaries failed; not starting it again." >&2
	if [[ -f "$log" ]]; then
		echo "build.sh: last 40 lines of its log $log:" >&2
		tail -n 40 "$log" >&2
	else
		echo "build.sh: its output went to whoever ran it." >&2
	fi
	echo "build.sh: fix the cause, then run make kube-binaries (or make test) again." >&2
	exit 1
fi
if [[ -n "${WEFT_KUBEBIN_LOG:-}" ]]; then
	exec >"$WEFT_KUBEBIN_LOG" 2>&1
fi

tmp=""
finish() {
	local rc=$?
	[[ -z "$tmp" ]] || rm -rf "$tmp"
	if ((rc)); then
		echo "${WEFT_KUBEBIN_LOG:-}" >"$failed"
		echo "build.sh: FAILED (exit $rc)${WEFT_KUBEBIN_LOG:+; log $WEFT_KUBEBIN_LOG}" >&2
	else
		rm -f "$failed"
	fi
}
trap finish EXIT

# build <module dir> <dest dir> <ldflags> <name=package>... builds every listed
# package in one go build (they share most of their dependencies) and then
# renames each binary into dest.
build() {
	local moddir="$1" dest="$2" ldflags="$3" start pkgs=() names=() kv
	shift 3
	for kv in "$@"; do names+=("${kv%%=*}"); pkgs+=("${kv#*=}"); done
	mkdir -p "$dest"
	# Leftovers of a build that was killed outright (we hold the lock).
	rm -rf "$dest"/.build.*
	tmp="$(mktemp -d "$dest/.build.XXXXXX")"
	start=$SECONDS
	echo "build.sh: building ${names[*]} into $dest (cold: minutes)"
	# The build is compile-bound (linking is ~17 s of a 6-minute cold build).
	# -dwarf=false: the compiler skips debug info that -ldflags=-w would strip
	# anyway; about 10% less CPU (measured: 424 -> 384 CPU-seconds cold).
	(cd "$moddir" && go build -trimpath -gcflags=all=-dwarf=false -ldflags="$ldflags" -o "$tmp/" "${pkgs[@]}")
	for n in "${names[@]}"; do
		mv -f "$tmp/$n" "$dest/$n"
		echo "build.sh: installed $dest/$n"
	done
	rm -rf "$tmp"
	tmp=""
	echo "build.sh: built ${names[*]} in $((SECONDS - start))s"
}

want_list="$(missing)" || exit 1
mapfile -t want <<<"$want_list"
has() { [[ " ${want[*]} " == *" $1 "* ]]; }

if has etcd; then
	build "$here/etcd" "$etcd_dir" "-s -w" "etcd=github.com/weftmesh/weft/hack/kubebin/etcd"
fi

args=()
for n in kube-apiserver kube-controller-manager kubectl; do
	if has "$n"; then args+=("$n=k8s.io/kubernetes/cmd/$n"); fi
done
if ((${#args[@]})); then
	# The same version stamps Kubernetes' own build sets, so `kubectl version`
	# and /version report v1.x.y rather than v0.0.0-master.
	major="${kube_version#v}"; major="${major%%.*}"
	minor="${kube_version#v*.}"; minor="${minor%%.*}"
	ld="-s -w"
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$kube_version -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
	done
	build "$here" "$kube_dir" "$ld" "${args[@]}"
fi
print_bins
