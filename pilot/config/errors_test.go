package config

import "testing"

func TestErrorRendering(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{
			Error{File: "samples/config/reviews.yaml", Doc: 1, Line: 12, Kind: "VirtualService", Namespace: "default", Name: "reviews",
				Field: "spec.http[0].route[1].weight", Message: "weight must not be negative, got -10"},
			"samples/config/reviews.yaml:12 (document 2): VirtualService default/reviews: spec.http[0].route[1].weight: weight must not be negative, got -10",
		},
		{Error{File: "a.yaml", Doc: 0, Line: 3, Message: "malformed YAML: x"}, "a.yaml:3 (document 1): malformed YAML: x"},
		{Error{File: "a.yaml", Message: "permission denied"}, "a.yaml: permission denied"},
		{Error{File: "ns.yaml", Line: 1, Kind: "Namespace", Name: "bookinfo", Message: "m"}, "ns.yaml:1 (document 1): Namespace bookinfo: m"},
		{Error{Kind: "Service", Message: "m"}, "Service: m"},
		{Error{Message: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestResolveHost(t *testing.T) {
	tests := []struct{ host, ns, want string }{
		{"reviews", "default", "reviews.default.svc.cluster.local"},
		{"reviews", "bookinfo", "reviews.bookinfo.svc.cluster.local"},
		{"reviews", "", "reviews.default.svc.cluster.local"},
		{"reviews.bookinfo", "default", "reviews.bookinfo"},
		{"reviews.bookinfo.svc.cluster.local", "default", "reviews.bookinfo.svc.cluster.local"},
		{"httpbin.org", "default", "httpbin.org"},
		{"*.example.com", "default", "*.example.com"},
		{"*", "default", "*"},
		{"", "default", ""},
	}
	for _, tt := range tests {
		if got := ResolveHost(tt.host, tt.ns); got != tt.want {
			t.Errorf("ResolveHost(%q, %q) = %q, want %q", tt.host, tt.ns, got, tt.want)
		}
	}
}
