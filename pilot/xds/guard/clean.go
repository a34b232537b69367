package guard

import (
	"sync"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Clusters depend on every kind but VirtualService (routes name clusters;
// they do not shape them). A change of VirtualServices only, such as a
// canary weight, so need not build and validate every cluster again when
// the rest of the config is what last passed: that check was most of a
// weight change's CPU.
var cleanClusters cleanSet

type cleanSet struct {
	mu      sync.Mutex
	last    *config.Snapshot // the config but its VirtualServices, when its clusters last all passed
	version string           // of the mesh translated from it, whose clusters a later version may reuse
}

// clusterInputs is s without its VirtualServices.
func clusterInputs(s *config.Snapshot) *config.Snapshot {
	b := config.NewBuilder()
	for _, o := range s.Objects() {
		if o.Key.Kind != "VirtualService" {
			_ = b.Add(o) // keys are unique in s already
		}
	}
	return b.Finish()
}

// passed returns the version of the mesh translated from in when its
// clusters last all passed, or "".
func (c *cleanSet) passed(in *config.Snapshot) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && c.last.Equal(in) {
		return c.version
	}
	return ""
}

func (c *cleanSet) remember(in *config.Snapshot, m *mesh.Mesh) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last, c.version = in, ""
	if m != nil {
		c.version = m.Version
	}
}
