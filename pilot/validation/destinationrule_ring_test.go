package validation

import (
	"strings"
	"testing"
)

// Envoy refuses a ring hash cluster whose minimum_ring_size is above
// 8388608, and with it the cluster's whole update; Istio's validation lets
// such a DestinationRule through, weft's refuses it first.
func TestRingSizeWithinEnvoyBound(t *testing.T) {
	dr := func(lb string) string {
		return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: default}\n" +
			"spec: {host: reviews, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, " + lb + "}}}}\n"
	}
	tests := []struct {
		name, lb, field string // field "" means valid
	}{
		{"ringHash at Envoy's bound", "ringHash: {minimumRingSize: 8388608}", ""},
		{"ringHash above it", "ringHash: {minimumRingSize: 8388609}", "spec.trafficPolicy.loadBalancer.consistentHash.ringHash.minimumRingSize"},
		{"deprecated minimumRingSize at the bound", "minimumRingSize: 8388608", ""},
		{"deprecated minimumRingSize above it", "minimumRingSize: 10000000", "spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize"},
		{"unset", "ringHash: {}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateSnapshot(snapshotOf(t, "dr.yaml", dr(tt.lb)))
			if tt.field == "" {
				if len(errs) != 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Field == tt.field && strings.Contains(e.Message, "8388608") {
					return
				}
			}
			t.Fatalf("want an error at %s naming Envoy's bound, got %v", tt.field, errs)
		})
	}
}
