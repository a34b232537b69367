package guard

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// maxProbeProxies bounds the sidecars whose listeners are built per check;
// listeners of workloads beyond it are still validated by the server
// (share.Part), just not traced to a resource.
const maxProbeProxies = 128

// failure is one generated resource that fails validation.
type failure struct {
	typ   string // "Cluster", "ClusterLoadAssignment" or "Listener"
	name  string
	proxy *xds.Proxy // the sidecar a listener was built for
	err   error
}

// checkOutput builds the mesh clusters a DestinationRule or ServiceEntry
// shapes (for sidecars and for proxyless clients) with their endpoints, and
// the listeners of one sidecar per distinct listener view, and returns
// those that fail validation.
func checkOutput(m *mesh.Mesh, seHosts map[string]bool, clusters, listeners bool) []failure {
	var out []failure
	for _, c := range m.Clusters {
		if !clusters || !shapedByConfig(c, seHosts) {
			continue
		}
		if f, bad := checkCluster(m, c); bad {
			out = append(out, f)
		}
	}
	if !listeners {
		return out
	}
	for _, p := range probeProxies(m) {
		listenerChecks.Add(1)
		out = append(out, checkListeners(m, p, "")...)
	}
	return out
}

// stillFails rebuilds what f names from m. A listener is fixed when it is
// gone or valid; a cluster when every cluster of its host is: removing a
// DestinationRule drops its subset clusters, which must not pass for a fix
// while the host's own cluster still fails.
func stillFails(m *mesh.Mesh, f failure) bool {
	if f.typ == "Listener" {
		return len(checkListeners(m, f.proxy, f.name)) > 0
	}
	for _, c := range m.ClustersOf(clusterHost(f.name)) {
		if _, bad := checkCluster(m, c); bad {
			return true
		}
	}
	return false
}

// clusterHost is the host of an outbound|port|subset|host cluster name.
func clusterHost(name string) string { return name[strings.LastIndex(name, "|")+1:] }

// shapedByConfig: a cluster with a DestinationRule policy or a
// ServiceEntry's host. The others are weft's defaults for Kubernetes
// Services, which the server still validates before sending.
func shapedByConfig(c *mesh.Cluster, seHosts map[string]bool) bool {
	return c.Policy != (mesh.TrafficPolicy{}) || (c.Service != nil && seHosts[c.Service.Hostname])
}

func checkCluster(m *mesh.Mesh, c *mesh.Cluster) (failure, bool) {
	clusterChecks.Add(1)
	name := c.Key.String()
	for _, proxyless := range []bool{false, true} {
		var deg build.Degradations
		cl := build.Cluster(c, build.Options{Mesh: m, Proxyless: proxyless}, &deg)
		if cl == nil {
			continue
		}
		if err := ValidateDeep(cl); err != nil {
			return failure{typ: "Cluster", name: name, err: err}, true
		}
	}
	cla := build.LoadAssignment(name, c.Endpoints(), m.PeerAuthn)
	// An assignment holds no Any to open (its filter metadata is opaque).
	if err := errors.Join(cla.ValidateAll(), checkLocalityWeights(cla)); err != nil {
		return failure{typ: "ClusterLoadAssignment", name: name, err: err}, true
	}
	return failure{}, false
}

// checkLocalityWeights is a check Envoy and grpc-go make that the proto's
// rules do not express: a locality's endpoint weights sum to at most 2^32-1.
func checkLocalityWeights(cla *endpointv3.ClusterLoadAssignment) error {
	for i, loc := range cla.GetEndpoints() {
		var sum uint64
		for _, ep := range loc.GetLbEndpoints() {
			sum += uint64(max(ep.GetLoadBalancingWeight().GetValue(), 1))
		}
		if sum > math.MaxUint32 {
			return fmt.Errorf("endpoints[%d]: the sum of endpoint weights in a locality, %d, exceeds %d", i, sum, uint64(math.MaxUint32))
		}
	}
	return nil
}

// checkListeners validates p's listeners, only the one named if only is set.
func checkListeners(m *mesh.Mesh, p *xds.Proxy, only string) []failure {
	var out []failure
	for _, l := range envoy.Listeners(m.Scoped(scopeOf(m, p)), p) {
		name := cachev3.GetResourceName(types.Resource(l))
		if only != "" && name != only {
			continue
		}
		if err := ValidateDeep(l); err != nil {
			out = append(out, failure{typ: "Listener", name: name, proxy: p, err: err})
		}
	}
	return out
}

func scopeOf(m *mesh.Mesh, p *xds.Proxy) *mesh.Scope {
	if m.Scopes == nil {
		return nil
	}
	return m.ScopeFor(p.Namespace, p.Labels)
}

// probeProxies stands a sidecar in for each distinct listener view among
// the mesh's endpoints (see listenerView), plus a label-less one per
// namespace for outbound only.
func probeProxies(m *mesh.Mesh) []*xds.Proxy {
	byKey := map[string]*xds.Proxy{}
	add := func(ns, ip string, labels map[string]string) {
		p := &xds.Proxy{Kind: xds.KindSidecar, Namespace: ns, IDNamespace: ns, IP: ip, Labels: labels, DNSDomain: ns + ".svc.cluster.local"}
		if k := listenerView(m, p); byKey[k] == nil && ns != "" {
			byKey[k] = p
		}
	}
	for _, svc := range m.Services {
		add(svc.Namespace, "", nil)
		for _, eps := range svc.Endpoints {
			for _, ep := range eps {
				add(ep.Namespace, ep.Address, ep.Labels)
			}
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*xds.Proxy, 0, min(len(keys), maxProbeProxies))
	for _, k := range keys[:min(len(keys), maxProbeProxies)] {
		out = append(out, byKey[k])
	}
	return out
}

// listenerView names what a sidecar's listeners are built from: its
// namespace and Sidecar scope (outbound), and the ports it serves with
// their protocols and mTLS modes, port-level ones included (inbound).
// Workloads alike in these are built once.
func listenerView(m *mesh.Mesh, p *xds.Proxy) string {
	fields := []string{p.Namespace, scopeOf(m, p).Key()}
	port := func(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
	for _, in := range m.InstancesAt(p.IP) {
		fields = append(fields, port(in.Port.Number), string(in.Port.Protocol), port(in.TargetPort),
			string(m.PeerAuthn.Mode(p.Namespace, p.Labels, in.TargetPort)))
	}
	for _, n := range m.PeerAuthn.PortLevel(p.Namespace, p.Labels) {
		fields = append(fields, port(n), string(m.PeerAuthn.Mode(p.Namespace, p.Labels, n)))
	}
	return share.Key(fields...)
}

// clusterChecks and listenerChecks count the clusters and the probe
// proxies' listeners built and validated, for tests.
var clusterChecks, listenerChecks atomic.Int64

// hasFailure reports a failure of listeners (listener) or of the rest.
func hasFailure(fs []failure, listener bool) bool {
	for _, f := range fs {
		if (f.typ == "Listener") == listener {
			return true
		}
	}
	return false
}
