package simulate

import (
	"strconv"
	"strings"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// normalizePath is what Envoy's normalize_path does to a path before
// routing: backslashes become slashes, percent-encoded unreserved
// characters are decoded (other escapes only upper-cased), and "." and
// ".." segments are removed as RFC 3986 section 5.2.4 says. The query is
// left alone.
func normalizePath(p string) string {
	path, query, hasQuery := strings.Cut(p, "?")
	path = removeDotSegments(decodeUnreserved(strings.ReplaceAll(path, `\`, "/")))
	if hasQuery {
		return path + "?" + query
	}
	return path
}

func decodeUnreserved(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+2 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		v, err := strconv.ParseUint(p[i+1:i+3], 16, 8)
		switch {
		case err != nil:
			b.WriteByte(p[i])
			continue
		case unreserved(byte(v)):
			b.WriteByte(byte(v))
		default:
			b.WriteString("%" + strings.ToUpper(p[i+1:i+3]))
		}
		i += 2
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
}

// removeDotSegments resolves "." and ".." in an absolute path; ".." at
// the root stays at the root.
func removeDotSegments(p string) string {
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	if len(out) == 1 && out[0] == "" {
		return "/"
	}
	return strings.Join(out, "/")
}

// grpcTimeout applies max_grpc_timeout: a gRPC request's timeout is its
// grpc-timeout header (none: no timeout) instead of the route's, capped
// by max_grpc_timeout unless that is 0. Envoy subtracts
// grpc_timeout_offset, which weft never sets.
func grpcTimeout(a *routev3.RouteAction, req *Request, d *time.Duration) *time.Duration {
	maxT := a.GetMaxGrpcTimeout() //lint:ignore SA1019 Envoy still honours it; Istio's sidecars set it
	if req.Protocol != GRPC || maxT == nil {
		return d
	}
	t, ok := parseGRPCTimeout(req.Headers["grpc-timeout"])
	if limit := maxT.AsDuration(); limit > 0 && (!ok || t > limit) {
		t = limit
	}
	return &t
}

// parseGRPCTimeout reads the grpc-timeout header: up to 8 digits and a
// unit (H, M, S, m, u, n).
func parseGRPCTimeout(v string) (time.Duration, bool) {
	if len(v) < 2 || len(v) > 9 {
		return 0, false
	}
	n, err := strconv.ParseUint(v[:len(v)-1], 10, 64)
	if err != nil {
		return 0, false
	}
	unit, ok := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second,
		'm': time.Millisecond, 'u': time.Microsecond, 'n': time.Nanosecond}[v[len(v)-1]]
	if !ok {
		return 0, false
	}
	return time.Duration(n) * unit, true
}
