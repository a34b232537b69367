#!/usr/bin/env bash
# Installs iptables (iptables-restore) when missing: the agent/iptables test
# applies weft's capture rules for real in a network namespace it creates.
# Fresh machines and CI start without it. Needs root for apt-get; without
# root (or apt) it says so and leaves the decision to the test (which skips,
# or fails under CI=true).
set -euo pipefail
if command -v iptables-restore >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "ensure-iptables: iptables-restore missing and cannot install it (needs root and apt-get);" \
		"install iptables yourself, or the agent/iptables test skips (fails when CI is set)" >&2
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Bounded: a hung mirror must not hold make test forever.
timeout 300 apt-get install -y -q --no-install-recommends iptables >/dev/null 2>&1 ||
	{ timeout 300 apt-get update -q >/dev/null 2>&1 && timeout 300 apt-get install -y -q --no-install-recommends iptables >/dev/null; } || true
command -v iptables-restore >/dev/null ||
	{ echo "ensure-iptables: apt-get could not install iptables; install it yourself (apt-get install iptables)" >&2; exit 1; }
