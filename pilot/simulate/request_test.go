package simulate

import (
	"reflect"
	"strings"
	"testing"
)

func TestRequestSpec(t *testing.T) {
	tests := []struct {
		name string
		spec RequestSpec
		want Request
	}{
		{"outbound http with a header", RequestSpec{Method: "get", URL: "http://reviews.default:9080/reviews/1?x=1", Headers: []string{"End-User: jason"}},
			Request{Protocol: HTTP1, Method: "GET", Authority: "reviews.default:9080", Path: "/reviews/1?x=1", DestPort: 9080, Headers: map[string]string{"end-user": "jason"}}},
		{"https is TLS with SNI, default port 443", RequestSpec{URL: "https://api.example.com/v1"},
			Request{Protocol: HTTP1, Method: "GET", Authority: "api.example.com", Path: "/v1", DestPort: 443, TLS: &TLS{SNI: "api.example.com"}, Headers: map[string]string{}}},
		{"an IP host is the destination", RequestSpec{URL: "http://10.0.0.7:8080/"},
			Request{Protocol: HTTP1, Method: "GET", Authority: "10.0.0.7:8080", Path: "/", DestIP: "10.0.0.7", DestPort: 8080, Headers: map[string]string{}}},
		{"inbound mTLS", RequestSpec{Inbound: true, Port: 9080, From: "spiffe://cluster.local/ns/a/sa/b", URL: "/ratings"},
			Request{Direction: Inbound, Protocol: HTTP1, Method: "GET", Authority: "localhost:9080", Path: "/ratings", DestPort: 9080,
				TLS: &TLS{ClientID: "spiffe://cluster.local/ns/a/sa/b", ALPN: []string{"istio-http/1.1", "istio", "http/1.1"}}, Headers: map[string]string{}}},
		{"inbound mTLS over h2 offers istio-h2", RequestSpec{Inbound: true, Port: 9080, From: "spiffe://cluster.local/ns/a/sa/b", Protocol: "h2"},
			Request{Direction: Inbound, Protocol: HTTP2, Method: "GET", Authority: "localhost:9080", Path: "/", DestPort: 9080,
				TLS: &TLS{ClientID: "spiffe://cluster.local/ns/a/sa/b", ALPN: []string{"istio-h2", "istio", "h2"}}, Headers: map[string]string{}}},
		{"inbound mTLS TCP offers the cluster's ALPN", RequestSpec{Inbound: true, TCP: "10.0.0.5:3306", From: "spiffe://cluster.local/ns/a/sa/b"},
			Request{Direction: Inbound, Protocol: TCP, DestIP: "10.0.0.5", DestPort: 3306,
				TLS: &TLS{ClientID: "spiffe://cluster.local/ns/a/sa/b", ALPN: []string{"istio-peer-exchange", "istio"}}}},
		{"an explicit ALPN wins", RequestSpec{Inbound: true, TCP: "10.0.0.5:3306", From: "spiffe://cluster.local/ns/a/sa/b", ALPN: []string{"istio"}},
			Request{Direction: Inbound, Protocol: TCP, DestIP: "10.0.0.5", DestPort: 3306,
				TLS: &TLS{ClientID: "spiffe://cluster.local/ns/a/sa/b", ALPN: []string{"istio"}}}},
		{"a Host header names the virtual host, as with curl", RequestSpec{URL: "http://10.0.0.7:8080/", Headers: []string{"Host: shop.example.com"}},
			Request{Protocol: HTTP1, Method: "GET", Authority: "shop.example.com", Path: "/", DestIP: "10.0.0.7", DestPort: 8080, Headers: map[string]string{}}},
		{"raw TCP", RequestSpec{TCP: "10.0.0.5:3306"}, Request{Protocol: TCP, DestIP: "10.0.0.5", DestPort: 3306}},
		{"proxyless target", RequestSpec{URL: "http://reviews.default.svc.cluster.local:9080/", Protocol: "grpc", Target: true},
			Request{Protocol: GRPC, Method: "POST", Target: "reviews.default.svc.cluster.local:9080", Authority: "reviews.default.svc.cluster.local:9080", Path: "/", DestPort: 9080, Headers: map[string]string{}}},
	}
	for _, tt := range tests {
		got, err := tt.spec.Request()
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v\nwant %+v", tt.name, got, err, tt.want)
		}
	}
}

// A malformed request line is a clear error, never a guessed request.
func TestRequestSpecErrors(t *testing.T) {
	for _, tt := range []struct {
		spec RequestSpec
		want string
	}{
		{RequestSpec{URL: "reviews:9080/x"}, "want http://HOST[:PORT]/PATH"},
		{RequestSpec{URL: "http://reviews:99999/"}, "is not a port number"},
		{RequestSpec{URL: "http://reviews/", Headers: []string{"no-colon"}}, "want 'name: value'"},
		{RequestSpec{URL: "http://reviews/", Protocol: "spdy"}, "want http1, h2 or grpc"},
		{RequestSpec{Inbound: true}, "--inbound needs --port"},
		{RequestSpec{TCP: "db:3306"}, "want IP:PORT"},
		{RequestSpec{URL: "http://reviews/", IP: "not-an-ip"}, "is not an IP address"},
	} {
		if _, err := tt.spec.Request(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func FuzzRequestSpec(f *testing.F) {
	f.Add("GET", "http://reviews.default:9080/reviews/1?x=1", "end-user: jason", "10.0.0.5:3306")
	f.Add("POST", "https://[::1]:443/", "a:b", "")
	f.Fuzz(func(t *testing.T, method, rawURL, header, tcp string) {
		r, err := RequestSpec{Method: method, URL: rawURL, Headers: []string{header}, TCP: tcp}.Request()
		if err == nil && r.DestPort == 0 && r.Protocol != TCP {
			t.Fatalf("accepted %q with no port: %+v", rawURL, r)
		}
	})
}
