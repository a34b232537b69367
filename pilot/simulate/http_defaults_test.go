package simulate

import "testing"

// Envoy's normalize_path, as the simulator models it: dot segments,
// backslashes and escaped unreserved characters cannot change which route
// a path matches.
func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b":                "/a/b",
		"/a/./b":              "/a/b",
		"/a/../admin":         "/admin",
		"/../../etc":          "/etc",
		"/a/%2e%2e/admin?x=1": "/admin?x=1",
		"/%7euser/%2f":        "/~user/%2F",
		`/a\..\admin`:         "/admin",
		"/a/b/..":             "/a/",
		"/a//b":               "/a//b", // merge_slashes is off by default
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseGRPCTimeout(t *testing.T) {
	for in, want := range map[string]string{"1S": "1s", "500m": "500ms", "2M": "2m0s", "1H": "1h0m0s"} {
		if d, ok := parseGRPCTimeout(in); !ok || d.String() != want {
			t.Errorf("parseGRPCTimeout(%q) = %v, %v; want %s", in, d, ok, want)
		}
	}
	for _, bad := range []string{"", "S", "10", "1x", "123456789S"} {
		if _, ok := parseGRPCTimeout(bad); ok {
			t.Errorf("parseGRPCTimeout(%q) accepted", bad)
		}
	}
}
