package translate

import (
	"sort"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// boundVS is a mesh VirtualService with its hosts resolved to FQDNs.
type boundVS struct {
	vs    *networkingv1.VirtualService
	ref   mesh.Ref
	hosts []string
}

type vsIndex struct {
	all   []boundVS
	hosts *hostIndex[*boundVS]
}

// virtualServices returns the VirtualServices bound to sidecars (gateways
// empty or listing "mesh"), oldest first so the oldest wins conflicts.
func (t *translator) virtualServices() vsIndex {
	var out []boundVS
	for _, vs := range t.snap.VirtualServices {
		b := boundVS{vs: vs, ref: mesh.Ref{Kind: "VirtualService", Namespace: vs.Namespace, Name: vs.Name}}
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
		t.warnUnsupportedVS(b)
		t.warnRulesWithoutPorts(b)
		out = append(out, b)
	}
	sort.SliceStable(out, func(i, j int) bool { return older(out[i].vs, out[j].vs) })
	t.warnConflicts(out)
	idx := vsIndex{all: out, hosts: newHostIndex[*boundVS]()}
	for i := range out {
		for _, h := range out[i].hosts {
			idx.hosts.add(h, &out[i])
		}
	}
	return idx
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

// forHost picks the VirtualService for a service host: the oldest with an
// exact host wins, else the one with the most specific wildcard. Istio
// does not merge VirtualServices for sidecars.
func (idx vsIndex) forHost(host string) *boundVS {
	if found := idx.hosts.lookup(host); len(found) > 0 {
		return found[0]
	}
	return nil
}

// warnConflicts reports VirtualServices that lose an exact host to an older one.
func (t *translator) warnConflicts(idx []boundVS) {
	owner := map[string]string{}
	for _, b := range idx {
		for _, h := range b.hosts {
			if prev, ok := owner[h]; ok && !strings.HasPrefix(h, "*") {
				t.warn(b.ref, mesh.ReasonConflict, "spec.hosts", "host "+h+" is already routed by "+prev+"; this VirtualService is ignored for it")
				continue
			}
			owner[h] = b.ref.String()
		}
	}
}

func (t *translator) virtualHost(svc *mesh.Service, port mesh.Port, vs *boundVS) *mesh.VirtualHost {
	vh := &mesh.VirtualHost{Service: svc, Port: port}
	if vs == nil {
		return vh
	}
	c := converter{t: t, vs: vs}
	if port.Protocol.IsHTTP() {
		for i, r := range vs.vs.Spec.GetHttp() {
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
		if r.GetDelegate() != nil {
			t.unsupported(b.ref, path+".delegate", "not supported yet: the rule has no action")
		}
		for j, m := range r.GetMatch() {
			if len(m.GetGateways()) > 0 {
				t.unsupported(b.ref, fieldIndex(path+".match", j)+".gateways", "not supported yet: ignored")
			}
		}
	}
	if len(b.vs.Spec.GetExportTo()) > 0 {
		t.unsupported(b.ref, "spec.exportTo", "not supported yet: visible to all namespaces")
	}
}
