package translate

import (
	"slices"
	"sort"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// boundVS is a mesh VirtualService with its hosts resolved to FQDNs.
type boundVS struct {
	vs     *networkingv1.VirtualService
	ref    mesh.Ref
	hosts  []string
	export exportSet
}

type vsIndex struct {
	all  []boundVS // oldest first
	byNS map[string]*hostIndex[*boundVS]
}

// virtualServices returns the VirtualServices bound to sidecars (gateways
// empty or listing "mesh"), oldest first so the oldest wins conflicts.
func (t *translator) virtualServices() *vsIndex {
	var out []boundVS
	for _, vs := range t.snap.VirtualServices {
		if len(vs.Spec.GetHosts()) == 0 {
			t.indexDelegate(vs)
			continue
		}
		b := boundVS{vs: vs, ref: mesh.Ref{Kind: "VirtualService", Namespace: vs.Namespace, Name: vs.Name},
			export: newExportSet(vs.Spec.GetExportTo(), t.opts.DefaultVirtualServiceExportTo, vs.Namespace)}
		if !appliesToMesh(vs.Spec.GetGateways()) {
			t.unsupported(b.ref, "spec.gateways", "gateways other than mesh are not supported yet: ignored")
			continue
		}
		for i, h := range vs.Spec.GetHosts() {
			host := config.ResolveHost(h, vs.Namespace)
			b.hosts = append(b.hosts, host)
			if !strings.HasPrefix(host, "*") && t.byHost[host] == nil {
				t.warn(b.ref, mesh.ReasonUnknownHost, fieldIndex("spec.hosts", i), "no service or ServiceEntry has host "+host)
			}
		}
		t.noteNamed(vs.Namespace, b.export)
		t.warnUnsupportedVS(b)
		t.warnRulesWithoutPorts(b)
		out = append(out, b)
	}
	sort.SliceStable(out, func(i, j int) bool { return older(out[i].vs, out[j].vs) })
	t.warnConflicts(out)
	t.checkDelegates(out)
	return &vsIndex{all: out, byNS: map[string]*hostIndex[*boundVS]{}}
}

func appliesToMesh(gateways []string) bool {
	if len(gateways) == 0 {
		return true
	}
	for _, g := range gateways {
		if g == "mesh" {
			return true
		}
	}
	return false
}

// forHost picks the VirtualService proxies in namespace ns use for a
// service host: the first with an exact host in forNamespace's order
// wins, else the one with the most specific wildcard. Istio does not merge
// VirtualServices for sidecars.
func (idx *vsIndex) forHost(ns, host string) *boundVS {
	if found := idx.forNamespace(ns).lookup(host); len(found) > 0 {
		return found[0]
	}
	return nil
}

// forNamespace indexes the VirtualServices visible to ns in istiod's
// order: exported to their own namespace ns first, then exported to ns by
// name, then to every namespace; oldest first within each.
func (idx *vsIndex) forNamespace(ns string) *hostIndex[*boundVS] {
	if h, ok := idx.byNS[ns]; ok {
		return h
	}
	if ns != anyNamespace && !slices.ContainsFunc(idx.all, func(b boundVS) bool { return vsRank(&b, ns) == 0 || vsRank(&b, ns) == 1 }) {
		h := idx.forNamespace(anyNamespace) // sees the public ones only, as any namespace
		idx.byNS[ns] = h
		return h
	}
	h := newHostIndex[*boundVS]()
	for rank := range 3 {
		for i := range idx.all {
			if vsRank(&idx.all[i], ns) != rank {
				continue
			}
			for _, host := range idx.all[i].hosts {
				h.add(host, &idx.all[i])
			}
		}
	}
	idx.byNS[ns] = h
	return h
}

// vsRank is the VirtualService's place for proxies in ns; -1 is unseen.
func vsRank(b *boundVS, ns string) int {
	switch {
	case b.export.public:
		return 2
	case !b.export.ns[ns]:
		return -1
	case b.vs.Namespace == ns:
		return 0
	}
	return 1
}

// warnConflicts reports VirtualServices claiming an exact host an older
// one claims for some namespace too (Istio's analyzer counts a public and
// a scoped one as conflicting, IST0109).
func (t *translator) warnConflicts(all []boundVS) {
	owners := map[string][]*boundVS{}
	for i := range all {
		b := &all[i]
		for _, h := range b.hosts {
			if strings.HasPrefix(h, "*") {
				continue
			}
			if prev := conflicting(owners[h], b); prev != nil {
				t.warn(b.ref, mesh.ReasonConflict, "spec.hosts", conflictMessage(h, prev, b))
				continue
			}
			owners[h] = append(owners[h], b)
		}
	}
}

func conflicting(prev []*boundVS, b *boundVS) *boundVS {
	for _, p := range prev {
		if p.export.overlaps(b.export) {
			return p
		}
	}
	return nil
}

// conflictMessage says which of the two proxies use: the older at equal
// visibility, else the one exported to their namespace by name.
func conflictMessage(host string, prev, b *boundVS) string {
	if prev.export.public == b.export.public {
		return "host " + host + " is already routed by " + prev.ref.String() + "; this VirtualService is ignored for it"
	}
	scoped := b
	if !prev.export.public {
		scoped = prev
	}
	return "host " + host + " is also routed by " + prev.ref.String() + ": proxies in " +
		strings.Join(scoped.export.namespaces(), ", ") + " use " + scoped.ref.String() + ", exported to their namespace, and the others the public one"
}

func (t *translator) virtualHost(svc *mesh.Service, port mesh.Port, vs *boundVS) *mesh.VirtualHost {
	vh := &mesh.VirtualHost{Service: svc, Port: port}
	if vs == nil {
		return vh
	}
	c := converter{t: t, vs: vs}
	if port.Protocol.IsHTTP() {
		for i, r := range vs.vs.Spec.GetHttp() {
			if r.GetDelegate() != nil {
				vh.HTTPRoutes = append(vh.HTTPRoutes, c.delegated(r, i)...)
				continue
			}
			vh.HTTPRoutes = append(vh.HTTPRoutes, c.httpRoute(r, i))
		}
		return vh
	}
	if isTLSPort(port.Protocol) {
		vh.TLSRoutes = c.tlsRoutes()
		return vh
	}
	for i, r := range vs.vs.Spec.GetTcp() {
		vh.TCPRoutes = append(vh.TCPRoutes, c.tcpRoutes(r, i)...)
	}
	return vh
}

func (t *translator) warnUnsupportedVS(b boundVS) {
	for i, r := range b.vs.Spec.GetHttp() {
		path := fieldIndex("spec.http", i)
		for j, m := range r.GetMatch() {
			if len(m.GetGateways()) > 0 {
				t.unsupported(b.ref, fieldIndex(path+".match", j)+".gateways", "not supported yet: ignored")
			}
		}
	}
}
