package translate

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// DISABLE is the zero value of Istio's TLS mode, so a tls block without a
// mode (say, only sni) turns TLS off, as in Istio; no tls block leaves
// automatic mTLS.
func TestClusterTLSModeDefaultsToDisable(t *testing.T) {
	if got := clusterTLS(nil); got != nil {
		t.Errorf("no tls: %+v, want nil (automatic mTLS)", got)
	}
	if got := clusterTLS(&networking.ClientTLSSettings{Sni: "x.example.com"}); got == nil || got.Mode != mesh.TLSDisable {
		t.Errorf("tls without mode: %+v, want DISABLE", got)
	}
}
