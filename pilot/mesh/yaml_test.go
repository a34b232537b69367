package mesh

import (
	"strings"
	"testing"
	"time"
)

// A small mesh using the fields whose YAML shape differs from the IR:
// enums, durations, fault presence, pointers between objects.
func yamlMesh() *Mesh {
	s := &Service{Hostname: "cart.shop.svc.cluster.local", Namespace: "shop", Name: "cart", Resolution: ResolutionDNS,
		Ports: []Port{httpPort}, Endpoints: map[uint32][]Endpoint{8080: {{Address: "cart.example", Port: 80, Healthy: false}}}}
	key := ClusterKey{Direction: Outbound, Port: 8080, Host: s.Hostname}
	code := uint32(14)
	m := &Mesh{Version: "v1", Services: []*Service{s},
		Clusters: []*Cluster{{Key: key, Service: s, Port: httpPort, Policy: TrafficPolicy{TLS: &ClusterTLS{Mode: TLSDisable},
			ConnectionPool: &ConnectionPool{IdleTimeout: 90 * time.Second}}}},
		VirtualHosts: []*VirtualHost{{Service: s, Port: httpPort, HTTPRoutes: []*HTTPRoute{{
			Matches:      []Match{{URI: &StringMatch{Kind: MatchPrefix, Value: ""}}},
			Destinations: []Destination{{Cluster: key, Weight: 0}},
			Timeout:      1500 * time.Millisecond,
			Fault:        &Fault{HasAbort: true, AbortGRPC: &code, AbortPercent: 5},
		}}}},
	}
	m.Index()
	return m
}

func TestYAMLShape(t *testing.T) {
	out, err := MarshalYAML(yamlMesh())
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{
		"resolution: DNS", "mode: DISABLE", "idleTimeout: 1m30s", "timeout: 1.5s",
		"prefix: \"\"",   // an empty prefix keeps its kind
		"weight: 0",      // zero weight is meaningful, never omitted
		"healthy: false", // so is an unhealthy endpoint
		"grpcStatus: 14", // abort kept; no delay section
		"name: outbound|8080||cart.shop.svc.cluster.local", // clusters named by key
	} {
		if !strings.Contains(text, want) {
			t.Errorf("YAML lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "delay") {
		t.Errorf("a fault without delay renders one:\n%s", text)
	}
	if strings.Index(text, "services:") > strings.Index(text, "clusters:") {
		t.Error("fields are not in declaration order")
	}
	back, err := UnmarshalYAML(out)
	if err != nil {
		t.Fatal(err)
	}
	r := back.VirtualHost("cart.shop.svc.cluster.local", 8080).HTTPRoutes[0]
	if r.Fault.HasDelay || !r.Fault.HasAbort || *r.Fault.AbortGRPC != 14 || r.Timeout != 1500*time.Millisecond {
		t.Errorf("route read back wrong: %+v %+v", r, r.Fault)
	}
	c := back.Clusters[0]
	if c.Service != back.Services[0] || c.Port != httpPort || c.Policy.TLS.Mode != TLSDisable {
		t.Errorf("cluster not re-linked to its service and port: %+v", c)
	}
}

func TestUnmarshalYAMLRejects(t *testing.T) {
	base, err := MarshalYAML(yamlMesh())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, old, new, want string
	}{
		{"unknown field", "resolution: DNS", "resolution: DNS\n    resolutoin: EDS", "resolutoin"},
		{"unknown enum", "resolution: DNS", "resolution: MDNS", "resolution"},
		{"unknown protocol", "protocol: HTTP", "protocol: HTTTP", "unknown protocol \"HTTTP\""},
		{"cluster of no service", "  - name: outbound|8080||cart", "  - name: outbound|8080||gone", "no service"},
		{"cluster of no port", "  - name: outbound|8080||cart", "  - name: outbound|9999||cart", "no port 9999"},
		{"bad duration", "timeout: 1.5s", "timeout: soon", "timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(string(base), tt.old, tt.new, 1)
			if text == string(base) {
				t.Fatalf("fixture edit %q did not apply", tt.old)
			}
			_, err := UnmarshalYAML([]byte(text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// Endpoints under a port the service lacks have nowhere to go in the
// text; MarshalYAML refuses instead of dropping them.
func TestMarshalYAMLRefusesLoss(t *testing.T) {
	m := yamlMesh()
	m.Services[0].Endpoints[9999] = []Endpoint{{Address: "10.0.0.1"}}
	if _, err := MarshalYAML(m); err == nil || !strings.Contains(err.Error(), "port 9999") {
		t.Errorf("MarshalYAML = %v, want an error naming port 9999", err)
	}
}
