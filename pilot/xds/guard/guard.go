// Package guard keeps one resource's invalid Envoy output away from every
// proxy, so that it cannot freeze the mesh.
//
// Envoy and grpc-go reject a whole xDS response when one resource in it
// fails validation, and a route configuration holds the rules of every
// VirtualService on a port: one bad rule would stop every change for every
// proxy that sees the port. Apply builds each VirtualService rule the way
// the generators do, validates it with Envoy's own rules, and leaves out the
// VirtualServices whose rules fail, with a diagnostic that rejects them.
// Translate does the same for clusters, endpoints and listeners, tracing
// each that fails to the DestinationRule, ServiceEntry, PeerAuthentication
// or Sidecar without which it is valid, and translating again without it.
package guard

import (
	"sort"
	"strings"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Apply removes from m every VirtualService that produces a route Envoy or
// grpc-go would refuse, and adds one rejecting diagnostic for each. It runs
// once per translated mesh, before any proxy's configuration is built.
func Apply(m *mesh.Mesh) {
	bad := map[mesh.Ref]mesh.Diagnostic{}
	for _, vh := range m.VirtualHosts {
		for _, r := range vh.HTTPRoutes {
			ref, field, ok := originRef(r.Origin)
			if !ok {
				continue
			}
			if _, seen := bad[ref]; seen {
				continue
			}
			if err := checkRoute(r, vh, m); err != nil {
				bad[ref] = mesh.Diagnostic{Ref: ref, Field: field, Reason: mesh.ReasonInvalidEnvoyConfig,
					Message: "produces configuration Envoy would reject, so weft leaves the whole VirtualService out: " + err.Error()}
			}
		}
	}
	if len(bad) == 0 {
		return
	}
	for _, vh := range m.VirtualHosts {
		vh.HTTPRoutes = withoutRefs(vh.HTTPRoutes, bad)
	}
	m.Diagnostics = append(m.Diagnostics, sortedDiagnostics(bad)...)
}

// checkRoute builds r for a sidecar and for a proxyless client and
// validates every Envoy route it becomes.
func checkRoute(r *mesh.HTTPRoute, vh *mesh.VirtualHost, m *mesh.Mesh) error {
	for _, proxyless := range []bool{false, true} {
		opts := build.Options{Proxyless: proxyless, ListenerPort: vh.Port.Number, Mesh: m}
		var deg build.Degradations
		for _, out := range build.Routes([]*mesh.HTTPRoute{r}, m, opts, &deg) {
			if err := ValidateDeep(out); err != nil {
				return err
			}
		}
	}
	return nil
}

// withoutRefs keeps the rules of VirtualServices not in bad; it returns a
// new slice so meshes sharing the old one are not changed.
func withoutRefs(rules []*mesh.HTTPRoute, bad map[mesh.Ref]mesh.Diagnostic) []*mesh.HTTPRoute {
	out := make([]*mesh.HTTPRoute, 0, len(rules))
	for _, r := range rules {
		if ref, _, ok := originRef(r.Origin); ok {
			if _, drop := bad[ref]; drop {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// originRef recovers the VirtualService and field from a rule's origin,
// "namespace/name.http[i]" (names may themselves contain dots).
func originRef(origin string) (mesh.Ref, string, bool) {
	ns, rest, ok := strings.Cut(origin, "/")
	i := strings.LastIndex(rest, ".http[")
	if !ok || i <= 0 {
		return mesh.Ref{}, "", false
	}
	return mesh.Ref{Kind: "VirtualService", Namespace: ns, Name: rest[:i]}, "spec" + rest[i:], true
}

func sortedDiagnostics(bad map[mesh.Ref]mesh.Diagnostic) []mesh.Diagnostic {
	out := make([]mesh.Diagnostic, 0, len(bad))
	for _, d := range bad {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref.String() < out[j].Ref.String() })
	return out
}

// Rejected lists the resources a diagnostic rejects, for logs and metrics.
func Rejected(diags []mesh.Diagnostic) []mesh.Ref {
	var out []mesh.Ref
	for _, d := range diags {
		if d.Rejected() {
			out = append(out, d.Ref)
		}
	}
	return out
}
