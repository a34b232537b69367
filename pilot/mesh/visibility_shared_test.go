package mesh

import "testing"

// A View's own service for a host replaces the mesh's there, with its
// ports' routes and clusters only, even where the mesh's is not exported.
func TestViewServicesReplaceTheHost(t *testing.T) {
	p80 := Port{Name: "http", Number: 80, Protocol: ProtocolHTTP}
	p81 := Port{Name: "http-alt", Number: 81, Protocol: ProtocolHTTP}
	base := &Service{Hostname: "api.example.com", Namespace: "a", Ports: []Port{p80, p81}, ExportTo: []string{"a"}}
	own := &Service{Hostname: "api.example.com", Namespace: "b", Ports: []Port{p80}, ExportTo: []string{"b"}}
	cluster := func(s *Service, p Port) *Cluster {
		return &Cluster{Key: ClusterKey{Direction: Outbound, Port: p.Number, Host: s.Hostname}, Service: s, Port: p}
	}
	m := &Mesh{Services: []*Service{base},
		Clusters:     []*Cluster{cluster(base, p80), cluster(base, p81)},
		VirtualHosts: []*VirtualHost{{Service: base, Port: p80}, {Service: base, Port: p81}},
		Views: map[string]*View{"b": {Namespace: "b", Services: []*Service{own},
			Clusters: []*Cluster{cluster(own, p80)}, VirtualHosts: []*VirtualHost{{Service: own, Port: p80}}}}}
	m.Index()
	for _, tc := range []struct {
		ns        string
		want      *Service
		ports     int
		clusters  int
		hasPort81 bool
	}{
		{"a", base, 2, 2, true},
		{"b", own, 1, 1, false},
		{"c", nil, 0, 0, false},
	} {
		v := m.ViewFor(tc.ns, nil)
		if got := v.Service("api.example.com"); got != tc.want {
			t.Errorf("ns %s: service %v, want %v", tc.ns, got, tc.want)
		}
		if n := len(v.VirtualHosts); n != tc.ports {
			t.Errorf("ns %s: %d virtual hosts, want %d", tc.ns, n, tc.ports)
		}
		if n := len(v.ClustersOf("api.example.com")); n != tc.clusters {
			t.Errorf("ns %s: %d clusters, want %d", tc.ns, n, tc.clusters)
		}
		if got := v.VirtualHost("api.example.com", 81) != nil; got != tc.hasPort81 {
			t.Errorf("ns %s: port 81 routed %v, want %v", tc.ns, got, tc.hasPort81)
		}
		if vh := v.VirtualHost("api.example.com", 80); vh != nil && vh.Service != tc.want {
			t.Errorf("ns %s: port 80 routes service of %s", tc.ns, vh.Service.Namespace)
		}
	}
}

// A workload behind a namespace's own service of a shared host still
// serves that port, whichever service the mesh shows by default.
func TestViewServicesKeepTheirInstances(t *testing.T) {
	p := Port{Name: "http", Number: 8080, Protocol: ProtocolHTTP}
	base := &Service{Hostname: "catalog.review.svc.cluster.local", Namespace: "rating", Ports: []Port{p},
		Endpoints: map[uint32][]Endpoint{8080: {{Address: "10.0.0.5", Port: 8080}}}}
	kube := &Service{Hostname: base.Hostname, Namespace: "review", Name: "catalog", Ports: []Port{p}, ExportTo: []string{"review"},
		Endpoints: map[uint32][]Endpoint{8080: {{Address: "10.0.0.7", Port: 9090}, {Address: "10.0.0.5", Port: 8080}}}}
	m := &Mesh{Services: []*Service{base}, Views: map[string]*View{"review": {Namespace: "review", Services: []*Service{kube}}}}
	m.Index()
	in := m.InstancesAt("10.0.0.7")
	if len(in) != 1 || in[0].Service != kube || in[0].TargetPort != 9090 {
		t.Errorf("instances at the view service's endpoint: %+v", in)
	}
	if in := m.InstancesAt("10.0.0.5"); len(in) != 1 || in[0].Service != base {
		t.Errorf("an IP the mesh's service serves on that port keeps only it: %+v", in)
	}
}
