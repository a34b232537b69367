package bootstrap

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/weftmesh/weft/pilot/mesh"
)

// The rejected-resources gauge counts every kind the guard can leave out,
// and shows the others at 0.
func TestRejectedGaugeByKind(t *testing.T) {
	g := newRejectedGauge(prometheus.NewRegistry())
	setRejected(g, []mesh.Diagnostic{
		{Ref: mesh.Ref{Kind: "DestinationRule", Namespace: "default", Name: "hash"}, Reason: mesh.ReasonInvalidEnvoyConfig},
		{Ref: mesh.Ref{Kind: "ServiceEntry", Namespace: "default", Name: "ext"}, Reason: mesh.ReasonInvalidEnvoyConfig},
		{Ref: mesh.Ref{Kind: "ServiceEntry", Namespace: "default", Name: "warned"}, Reason: "Unsupported"},
	})
	for kind, want := range map[string]float64{"DestinationRule": 1, "ServiceEntry": 1, "PeerAuthentication": 0, "Sidecar": 0, "VirtualService": 0} {
		if got := testutil.ToFloat64(g.WithLabelValues(kind)); got != want {
			t.Errorf("weft_config_rejected_resources{kind=%s} = %v, want %v", kind, got, want)
		}
	}
}
