package simulate

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// Envoy's VirtualHost.domains search order: exact, then suffix wildcards,
// then prefix wildcards (each longest first), then "*"; a wildcard never
// matches the empty string; matching is case-insensitive and the Host's
// port, when sent, is part of what is matched.
func TestVirtualHostDomainPrecedence(t *testing.T) {
	all := func(name string, domains ...string) *routev3.VirtualHost {
		return vhost(name, domains, toCluster("", prefixMatch("/"), name))
	}
	rc := routeTable(
		all("any", "*"),
		all("prefix-short", "www.*"),
		all("prefix-long", "www.foo.*"),
		all("suffix-short", "*.foo.com"),
		all("suffix-long", "*.bar.foo.com"),
		all("exact", "www.foo.com"),
		all("with-port", "reviews:9080"),
	)
	for host, want := range map[string]string{
		"www.foo.com":    "exact",
		"WWW.Foo.COM":    "exact",
		"a.bar.foo.com":  "suffix-long",
		"a.foo.com":      "suffix-short",
		"www.foo.org":    "prefix-long",
		"www.other.net":  "prefix-short",
		".foo.com":       "any", // the suffix wildcard's * cannot be empty
		"www.foo.com:80": "prefix-long",
		"a.foo.com:80":   "any", // the port is part of the host: *.foo.com does not match
		"reviews:9080":   "with-port",
		"reviews":        "any",
		"elsewhere":      "any",
	} {
		res := mustSimulateHTTP(t, rc, httpGet(host, "/"))
		if res.VirtualHost != want {
			t.Errorf("host %q: virtual host %q, want %q", host, res.VirtualHost, want)
		}
	}
}

// No virtual host matches: Envoy answers 404 with flag NR.
func TestVirtualHostNoneIs404NR(t *testing.T) {
	res := mustSimulateHTTP(t, routeTable(vhost("a", []string{"a.com"}, toCluster("", prefixMatch("/"), "c"))), httpGet("b.com", "/"))
	wantFailure(t, res, 404, "NR")
	if res.Route != "" || len(res.Action.Clusters) != 0 {
		t.Errorf("later stages ran: %+v", res)
	}
}

// HttpConnectionManager.strip_any_host_port drops any port before routing;
// strip_matching_host_port only the listener's; RouteConfiguration's
// ignore_port_in_host_matching ignores it for virtual host selection only.
func TestVirtualHostPortStripping(t *testing.T) {
	rc := routeTable(vhost("foo", []string{"*.foo.com"}, toCluster("", prefixMatch("/"), "c")), vhost("any", []string{"*"}, toCluster("", prefixMatch("/"), "c")))
	cases := []struct {
		name string
		hcm  func(*hcmv3.HttpConnectionManager)
		host string
		port uint32
		want string
	}{
		{"any port stripped", func(h *hcmv3.HttpConnectionManager) {
			h.StripPortMode = &hcmv3.HttpConnectionManager_StripAnyHostPort{StripAnyHostPort: true}
		}, "a.foo.com:8080", 9080, "foo"},
		{"listener port stripped", func(h *hcmv3.HttpConnectionManager) { h.StripMatchingHostPort = true }, "a.foo.com:9080", 9080, "foo"},
		{"other port kept", func(h *hcmv3.HttpConnectionManager) { h.StripMatchingHostPort = true }, "a.foo.com:81", 9080, "any"},
		{"trailing dot", func(h *hcmv3.HttpConnectionManager) { h.StripTrailingHostDot = true }, "a.foo.com.", 9080, "foo"},
		{"no stripping", func(*hcmv3.HttpConnectionManager) {}, "a.foo.com:9080", 9080, "any"},
	}
	for _, tc := range cases {
		h := inline(rc)
		tc.hcm(h)
		req := httpGet(tc.host, "/")
		req.DestPort = tc.port
		res := &Result{}
		if err := NewConfig().httpConnectionManager(hcmWith(t, h), &req, res); err != nil {
			t.Fatal(err)
		}
		if res.VirtualHost != tc.want {
			t.Errorf("%s: virtual host %q, want %q", tc.name, res.VirtualHost, tc.want)
		}
	}
	rc.IgnorePortInHostMatching = true
	if res := mustSimulateHTTP(t, rc, httpGet("a.foo.com:1234", "/")); res.VirtualHost != "foo" {
		t.Errorf("ignore_port_in_host_matching: virtual host %q, want foo", res.VirtualHost)
	}
}
