#!/usr/bin/env bash
# istioctl-check.sh [FILE|DIR ...] — run `istioctl validate` on every document of
# the corpus files one document at a time and compare istioctl's verdict with the
# document's "# verdict:" line. Prints one line per document:
#   OK|MISMATCH  file#index  want=<verdict> got=<verdict>  <istioctl message>
# Exit status 1 on any mismatch. ISTIOCTL (default /tmp/istio-bin/istioctl) is
# istioctl built from Istio's source (see /work/shared/tools/istio-bin.sh).
# Defaults to the three directories this file documents (security, unsupported,
# kubernetes). Needs only bash, awk and istioctl; runs offline.
set -u
istioctl=${ISTIOCTL:-/tmp/istio-bin/istioctl}
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- "$here" "$here/../unsupported" "$here/../kubernetes"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
for arg in "$@"; do
	find "$arg" -type f -name '*.yaml' | sort | while read -r f; do
		rm -f "$tmp"/doc-*.yaml
		# split on lines that are exactly '---'
		awk -v dir="$tmp" 'BEGIN{n=0; out=sprintf("%s/doc-%03d.yaml", dir, n)}
			/^---[ \t]*$/ {n++; out=sprintf("%s/doc-%03d.yaml", dir, n); next}
			{print > out}' "$f"
		for d in "$tmp"/doc-*.yaml; do
			idx=$(basename "$d" .yaml); idx=$((10#${idx#doc-}))
			want=$(sed -n '1s/^# verdict: *\([a-z]*\).*/\1/p' "$d")
			[ -n "$want" ] || { grep -q '[^[:space:]]' "$d" || continue; want=MISSING; }
			out=$("$istioctl" validate -f "$d" 2>&1); rc=$?
			if [ $rc -ne 0 ]; then got=invalid
			elif grep -q 'has warnings' <<<"$out"; then got=warning
			else got=valid; fi
			msg=$(tr '\n\t' '  ' <<<"$out" | sed "s#$tmp/##g; s/  */ /g")
			nerr=$(grep -c '# want-error: ' "$d")
			if [ "$want" = "$got" ]; then st=OK; else st=MISMATCH; fi
			# an invalid document names at least one offending field; others none
			if [ "$want" = invalid ] && [ "$nerr" -eq 0 ]; then st=MISMATCH; msg="(no want-error) $msg"; fi
			if [ "$want" != invalid ] && [ "$nerr" -ne 0 ]; then st=MISMATCH; msg="(want-error on a $want document) $msg"; fi
			echo "$st ${f#$here/}#$idx want=$want got=$got rc=$rc $msg"
		done
		# the whole file at once: exit status 1 iff some document is invalid
		"$istioctl" validate -f "$f" >/dev/null 2>&1; frc=$?
		if grep -q '^# verdict: invalid' "$f"; then fwant=1; else fwant=0; fi
		if [ "$frc" -eq "$fwant" ]; then st=OK; else st=MISMATCH; fi
		echo "$st ${f#$here/} whole-file rc=$frc"
	done
done | tee "$tmp/report"
! grep -q '^MISMATCH' "$tmp/report"
