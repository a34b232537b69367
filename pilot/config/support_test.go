package config_test

import (
	"testing"

	"github.com/weftmesh/weft/apis/support"
	"github.com/weftmesh/weft/pilot/config"
)

// The kinds weft acts on are exactly those the support table does not
// rate unsupported as a whole, so status and logs say what the docs say.
func TestImplementedKindsAgreeWithSupportTable(t *testing.T) {
	for _, k := range config.KindInfos() {
		if !k.Istio {
			continue
		}
		e, ok := support.KindSupport(k.Name)
		if !ok {
			t.Errorf("%s: not in the support table", k.Name)
			continue
		}
		whole := e.Sidecar == support.Unsupported && e.Proxyless == support.Unsupported && e.Gateway == support.Unsupported
		if config.Implemented(k.Name) == whole {
			t.Errorf("%s: config.Implemented = %v, but the support table rates the kind %+v", k.Name, config.Implemented(k.Name), e)
		}
	}
}
