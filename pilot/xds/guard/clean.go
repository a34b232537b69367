package guard

import (
	"sync"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Clusters depend on every kind but VirtualService (routes name clusters;
// they do not shape them), listeners on every kind but the HTTP rules of
// VirtualServices (tcp and tls rules make listener chains). A change of
// HTTP rules only, such as a canary weight, so need not build and validate
// clusters and listeners again when the rest of the config is what last
// passed: that check was most of a weight change's CPU.
var cleanClusters, cleanListeners cleanSet

type cleanSet struct {
	mu      sync.Mutex
	last    *config.Snapshot // the config but its VirtualServices, when its clusters last all passed
	version string           // of the mesh translated from it, whose clusters a later version may reuse
}

// checkInputs returns, in one pass over s, what clusters read of it (s
// without its VirtualServices) and what listeners read (each VirtualService
// reduced to hosts, gateways, tcp and tls rules, exportTo, and the name and
// age that decide precedence: not its HTTP rules, nor metadata a cluster
// writes when they change).
func checkInputs(s *config.Snapshot) (clusters, listeners *config.Snapshot) {
	cb, lb := config.NewBuilder(), config.NewBuilder()
	for _, o := range s.Objects() {
		if vs, ok := o.Resource.(*networkingv1.VirtualService); ok {
			o.Resource = withoutHTTPRules(vs)
		} else {
			_ = cb.Add(o) // keys are unique in s already
		}
		_ = lb.Add(o)
	}
	return cb.Finish(), lb.Finish()
}

func withoutHTTPRules(vs *networkingv1.VirtualService) *networkingv1.VirtualService {
	out := &networkingv1.VirtualService{TypeMeta: vs.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: vs.Name, Namespace: vs.Namespace, CreationTimestamp: vs.CreationTimestamp}}
	out.Spec.Hosts, out.Spec.Gateways, out.Spec.ExportTo = vs.Spec.Hosts, vs.Spec.Gateways, vs.Spec.ExportTo
	out.Spec.Tcp, out.Spec.Tls = vs.Spec.Tcp, vs.Spec.Tls
	return out
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
