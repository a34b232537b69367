package main

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/weftmesh/weft/internal/grpcapp"
)

// versions always shown, even at 0%, so the columns stay put while weights change.
var versions = []string{"v1", "v2"}

// formatSplit renders e.g. "v1 90.3%  v2  9.7%  errors 0  (last 1s, 200 rpcs)".
func formatSplit(r grpcapp.Result) string {
	var b strings.Builder
	for _, v := range versions {
		fmt.Fprintf(&b, "%s %5.1f%%  ", v, 100*r.Share("reviews-"+v))
	}
	for _, other := range otherBackends(r) {
		fmt.Fprintf(&b, "%s %5.1f%%  ", other, 100*r.Share(other))
	}
	fmt.Fprintf(&b, "errors %d  (last %.0fs, %d rpcs)", r.Failed(), r.Elapsed.Seconds(), r.Total)
	if r.Failed() > 0 {
		fmt.Fprintf(&b, "  %s", errorSummary(r))
	}
	return b.String()
}

// otherBackends lists backends outside v1/v2 (there should be none).
func otherBackends(r grpcapp.Result) []string {
	var out []string
	for name := range r.ByBackend {
		v := strings.TrimPrefix(name, "reviews-")
		if v != "v1" && v != "v2" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// errorSummary names the failing codes and one sample message.
func errorSummary(r grpcapp.Result) string {
	var parts []string
	for code, n := range r.ByCode {
		if code != codes.OK {
			parts = append(parts, fmt.Sprintf("%v=%d", code, n))
		}
	}
	sort.Strings(parts)
	s := "[" + strings.Join(parts, " ") + "]"
	if len(r.Errors) > 0 {
		s += " " + truncate(r.Errors[0], 120)
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
