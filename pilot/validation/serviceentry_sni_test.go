package validation

import (
	"strings"
	"testing"
)

// Envoy takes an SNI of at most 255 bytes; sidecars use
// outbound_.PORT_._.HOST for Istio mTLS to a MESH_INTERNAL entry, so its
// hosts must leave room for that prefix (18 bytes with port 8443).
func TestMeshInternalHostFitsTheSNI(t *testing.T) {
	host := func(n int) string { // a valid DNS name of n bytes ending in .example.com
		return strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." +
			strings.Repeat("d", n-12-183) + ".example.com"
	}
	se := func(h, location string) string {
		return "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext, namespace: default}\n" +
			"spec: {hosts: [" + h + "], location: " + location + ", ports: [{number: 8443, name: grpc, protocol: GRPC}], resolution: STATIC, endpoints: [{address: 1.2.3.4}]}\n"
	}
	tests := []struct {
		name, yaml string
		wantErr    bool
	}{
		{"SNI of exactly 255 bytes", se(host(237), "MESH_INTERNAL"), false},
		{"one byte more", se(host(238), "MESH_INTERNAL"), true},
		{"MESH_EXTERNAL: no mesh mTLS, no SNI", se(host(238), "MESH_EXTERNAL"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateSnapshot(snapshotOf(t, "se.yaml", tt.yaml))
			got := false
			for _, e := range errs {
				got = got || (e.Field == "spec.hosts[0]" && strings.Contains(e.Message, "within 255 bytes"))
			}
			if got != tt.wantErr || (!tt.wantErr && len(errs) != 0) {
				t.Fatalf("errors %v, want the SNI error: %v", errs, tt.wantErr)
			}
		})
	}
}
