#!/usr/bin/env bash
# check-istioctl.sh [ISTIOCTL] [DIR] — run `istioctl validate -f` on every
# document of every *.yaml under DIR (default: this script's directory), one
# document at a time, and compare istioctl's verdict with the document's
# "# verdict:" annotation:
#   valid   = exit 0, no "has warnings" in the output
#   warning = exit 0, with "has warnings"
#   invalid = exit non-zero
# An invalid document must carry exactly one "# want-error:" comment.
# Prints one line per document (OK/MISMATCH, file, document index, verdicts,
# the number of errors istioctl listed, istioctl's first error or else first
# warning line) and exits 1 on any mismatch.
# ISTIOCTL defaults to $ISTIOCTL or /tmp/istio-bin/istioctl (built by
# /work/shared/tools/istio-bin.sh).
set -u
istioctl=${1:-${ISTIOCTL:-/tmp/istio-bin/istioctl}}
dir=${2:-$(cd "$(dirname "$0")" && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
while IFS= read -r f; do
	rm -f "$tmp"/doc.*
	# split on lines that are exactly "---"
	awk -v out="$tmp/doc" 'BEGIN{n=0} /^---[ ]*$/{n++; next} {print > (out "." sprintf("%03d", n) ".yaml")}' "$f"
	for d in "$tmp"/doc.*.yaml; do
		[ -e "$d" ] || continue
		grep -q '^[a-zA-Z]' "$d" || continue # comment-only document
		idx=${d#"$tmp"/doc.}; idx=$((10#${idx%.yaml}))
		want=$(sed -n 's/^# verdict: *\([a-z]*\).*/\1/p' "$d" | head -1)
		# istioctl writes everything (verdict, warnings, errors) to stderr
		out=$("$istioctl" validate -f "$d" 2>&1); rc=$?
		if [ $rc -ne 0 ]; then got=invalid
		elif grep -q 'has warnings' <<<"$out"; then got=warning
		else got=valid; fi
		nwant=$(grep -c '# want-error:' "$d")
		status=OK
		if [ "$want" != "$got" ]; then status=MISMATCH; fi
		if [ "$want" = invalid ] && [ "$nwant" -ne 1 ]; then status="MISMATCH(want-error x$nwant)"; fi
		if [ "$want" != invalid ] && [ "$nwant" -ne 0 ]; then status="MISMATCH(want-error on $want doc)"; fi
		[ "$status" = OK ] || fail=1
		# istioctl's first error line, else its first warning line
		msg=$( { sed -n '/^Error:/,$p' <<<"$out" | grep -E '^\s*\* '; sed -n '/has warnings/,$p' <<<"$out" | grep -E '^\s*\* '; } | head -1 | tr -s ' \t' ' ')
		nerr=$(sed -n '/^Error:/,$p' <<<"$out" | grep -cE '^\s*\* ')
		printf '%s\t%s\t#%d\twant=%s got=%s errors=%d\t%s\n' "$status" "${f#"$dir"/}" "$idx" "$want" "$got" "$nerr" "$msg"
	done
done < <(find "$dir" -name '*.yaml' | sort)
exit $fail
