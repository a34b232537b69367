package envoy

import (
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
)

// The ratings sidecar of the sidecar-ingress golden: a captureMode NONE
// port is a listener of its own on its bind address, its unix socket
// endpoint a pipe, and the pod-IP endpoint makes the clusters per proxy.
func TestSidecarIngressListenersAndClusters(t *testing.T) {
	m := featureIR(t, "sidecar-ingress")
	p := sidecar("shop", "10.244.30.1", map[string]string{"app": "ratings"})
	res, _ := Generate(m, p)
	if err := res.Validate(); err != nil {
		t.Fatal(err)
	}
	ls := Listeners(m.Scoped(m.ScopeFor(p.Namespace, p.Labels)), p)
	l := listenerNamed(ls, "127.0.0.1_9443")
	if l == nil || l.GetBindToPort() != nil && !l.GetBindToPort().GetValue() || len(l.GetFilterChains()) != 1 {
		t.Fatalf("captureMode NONE listener: %v", l)
	}
	for _, c := range Clusters(m, p, nil) {
		switch c.GetName() {
		case "inbound|9443||":
			if c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetPipe().GetPath() != "/var/run/ratings.sock" {
				t.Errorf("unix defaultEndpoint: %v", c.GetLoadAssignment())
			}
			if c.GetUpstreamBindConfig() != nil {
				t.Error("a unix socket has no source address to bind")
			}
		case "inbound|9090||":
			if c.GetUpstreamBindConfig().GetSourceAddress().GetAddress() != InboundPassthroughBindIP {
				t.Error("the pod IP endpoint must be reached from 127.0.0.6, which iptables does not capture")
			}
		case "inbound|8000||":
			t.Error("a Service port the ingress listeners leave out has no inbound cluster")
		}
	}
	other := sidecar("shop", "10.244.30.9", p.Labels)
	if inboundKey(m, p) == inboundKey(m, other) {
		t.Error("a 0.0.0.0 defaultEndpoint is the pod IP: proxies must not share the clusters")
	}
}

func TestIngressEndpoint(t *testing.T) {
	for _, tt := range []struct {
		endpoint, podIP string
		addr            string
		port            uint32
		unix, ok        bool
	}{
		{"", "10.0.0.1", "", 0, false, false},
		{"127.0.0.1:8080", "10.0.0.1", "127.0.0.1", 8080, false, true},
		{"0.0.0.0:8080", "10.0.0.1", "10.0.0.1", 8080, false, true},
		{"0.0.0.0:8080", "", "127.0.0.1", 8080, false, true}, // istiod falls back to localhost
		{"unix:///var/run/a.sock", "10.0.0.1", "/var/run/a.sock", 0, true, true},
		{"127.0.0.1:notaport", "10.0.0.1", "", 0, false, false},
	} {
		addr, port, unix, ok := mesh.IngressListener{DefaultEndpoint: tt.endpoint}.Endpoint(tt.podIP)
		if addr != tt.addr || port != tt.port || unix != tt.unix || ok != tt.ok {
			t.Errorf("%q at %q: %q %d %v %v", tt.endpoint, tt.podIP, addr, port, unix, ok)
		}
	}
}

// Two ingress listeners on one port: the first wins, as in istiod.
func TestIngressDuplicatePortFirstWins(t *testing.T) {
	m := &mesh.Mesh{Scopes: &mesh.Scopes{ByNamespace: map[string][]*mesh.Scope{"shop": {{
		Ref: mesh.Ref{Kind: "Sidecar", Namespace: "shop", Name: "s"},
		Ingress: []mesh.IngressListener{
			{Port: mesh.Port{Number: 80, Protocol: mesh.ProtocolHTTP}, DefaultEndpoint: "127.0.0.1:1"},
			{Port: mesh.Port{Number: 80, Protocol: mesh.ProtocolTCP}, DefaultEndpoint: "127.0.0.1:2"},
		}}}}}}
	m.Index()
	ports := inboundPortsOf(m, sidecar("shop", "10.0.0.1", nil))
	if len(ports) != 1 || ports[0].Protocol != mesh.ProtocolHTTP {
		t.Errorf("ports %+v", ports)
	}
}
