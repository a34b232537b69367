package envoystandin

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/agent/testca"
)

// hasNames holds when every type holds exactly the given names.
func hasNames(lds, rds, cds, eds []string) func(Snapshot) bool {
	return func(s Snapshot) bool {
		return slices.Equal(sortedKeys(s.Listeners), sortedCopy(lds)) && slices.Equal(sortedKeys(s.Routes), sortedCopy(rds)) &&
			slices.Equal(sortedKeys(s.Clusters), sortedCopy(cds)) && slices.Equal(sortedKeys(s.Endpoints), sortedCopy(eds))
	}
}

func sortedCopy(s []string) []string {
	return slices.Sorted(slices.Values(s))
}

var (
	allListeners = []string{listenerOut, listenerInbound}
	allClusters  = []string{clusterV1, clusterV2, clusterInbound}
	edsClusters  = []string{clusterV1, clusterV2}
)

// TestReceivesEveryResource runs the stand-in against a mutual-TLS ADS
// server, with its certificate from weft-agent's SDS server and the
// bootstrap weft-agent renders, reaching the server by IP and by name.
func TestReceivesEveryResource(t *testing.T) {
	for _, tc := range []struct {
		name, host, serverName string
		certDNS                []string
		certIPs                []net.IP
	}{
		{name: "IP address, DNS SAN", host: "127.0.0.1", serverName: serverName, certDNS: []string{serverName}},
		{name: "host name, DNS SAN", host: "localhost", serverName: serverName, certDNS: []string{serverName}},
		{name: "IP address, IP SAN", host: "127.0.0.1", certIPs: []net.IP{net.IPv4(127, 0, 0, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca := testCA(t)
			sf := startSDS(t, ca)
			sock, bundle := sf.socket, sf.bundle
			serving, err := ca.ServingCertificate(tc.certDNS, tc.certIPs)
			if err != nil {
				t.Fatal(err)
			}
			ads := startADS(t, serving, rootPool(ca), nil)
			m := mesh{version: "1", w1: 90, w2: 10, inboundRDS: true}
			ads.setSnapshot(t, m.snapshot(t))
			_, port, _ := net.SplitHostPort(ads.addr)
			e := startEnvoy(t, writeBootstrap(t, net.JoinHostPort(tc.host, port), tc.serverName, sock))

			s, err := e.WaitFor(timeout(t), hasNames(allListeners, []string{routeOutbound, routeInbound}, allClusters, edsClusters))
			if err != nil {
				t.Fatal(err)
			}
			checkResources(t, s, m)
			checkPeer(t, ads, bundle.Leaf.Raw, tc.serverName)
			if !e.ClientCertificate().Equal(bundle.Leaf) {
				t.Error("ClientCertificate is not the SDS certificate")
			}
			checkACKs(t, ads, "1")
			checkNodeOnce(t, ads)
		})
	}
}

// checkResources asserts every resource of the test mesh, field by field
// where the stand-in could get it wrong.
func checkResources(t *testing.T, s Snapshot, m mesh) {
	t.Helper()
	if len(s.NACKs) > 0 {
		t.Errorf("NACKs: %v", s.NACKs)
	}
	hcms, err := HTTPConnectionManagers(s.Listeners[listenerInbound])
	wantHCMs := map[bool]int{false: 1, true: 2}[m.inboundRDS]
	if err != nil || len(hcms) != wantHCMs || hcms[0].GetRouteConfig() == nil || (m.inboundRDS && hcms[1].GetRds().GetRouteConfigName() != routeInbound) {
		t.Errorf("inbound listener HCMs = %v, %v; want an inline one, then RDS %q if %v", hcms, err, routeInbound, m.inboundRDS)
	}
	fc := FilterChainForPort(s.Listeners[listenerInbound], 9080)
	if got := fc.GetFilters(); len(got) != 1 || got[0].GetName() != "envoy.filters.network.http_connection_manager" {
		t.Errorf("inbound chain for port 9080 has filters %v, want the HTTP connection manager", got)
	}
	wc := s.Routes[routeOutbound].GetVirtualHosts()[0].GetRoutes()[0].GetRoute().GetWeightedClusters().GetClusters()
	if len(wc) != 2 || wc[0].GetName() != clusterV1 || wc[0].GetWeight().GetValue() != m.w1 || wc[1].GetName() != clusterV2 || wc[1].GetWeight().GetValue() != m.w2 {
		t.Errorf("outbound route split = %v, want %s %d / %s %d", wc, clusterV1, m.w1, clusterV2, m.w2)
	}
	if got := s.Clusters[clusterV1].GetEdsClusterConfig().GetServiceName(); got != clusterV1 {
		t.Errorf("cluster %s service name = %q", clusterV1, got)
	}
	for cluster, ip := range map[string]string{clusterV1: "10.244.1.2", clusterV2: "10.244.1.3"} {
		ep := s.Endpoints[cluster].GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
		if ep.GetAddress() != ip || ep.GetPortValue() != 9080 {
			t.Errorf("endpoints of %s = %v, want %s:9080", cluster, ep, ip)
		}
	}
}

// checkPeer asserts the server saw the SDS workload certificate, over
// TLS 1.2 (Envoy's upstream default) with ALPN h2 and the bootstrap's SNI.
func checkPeer(t *testing.T, ads *adsServer, leaf []byte, sni string) {
	t.Helper()
	conns := ads.connections()
	if len(conns) == 0 || len(conns[0].PeerCertificates) == 0 || string(conns[0].PeerCertificates[0].Raw) != string(leaf) {
		t.Fatalf("ADS server did not see the SDS workload certificate (streams: %d)", len(conns))
	}
	c := conns[0]
	if got := c.PeerCertificates[0].URIs[0].String(); got != workloadID {
		t.Errorf("client identity = %s, want %s", got, workloadID)
	}
	if c.Version != tls.VersionTLS12 || c.NegotiatedProtocol != "h2" || c.ServerName != sni {
		t.Errorf("TLS version %x ALPN %q SNI %q, want 1.2, h2, %q", c.Version, c.NegotiatedProtocol, c.ServerName, sni)
	}
}

// checkACKs waits until the server got an ACK of version for every type.
func checkACKs(t *testing.T, ads *adsServer, version string) {
	t.Helper()
	for _, typeURL := range []string{resource.ListenerType, resource.RouteType, resource.ClusterType, resource.EndpointType} {
		err := ads.waitRequest(timeout(t), func(r *discoveryv3.DiscoveryRequest) bool {
			return r.GetTypeUrl() == typeURL && r.GetVersionInfo() == version && r.GetResponseNonce() != "" && r.GetErrorDetail() == nil
		})
		if err != nil {
			t.Errorf("no ACK of %s version %s: %v", typeURL, version, err)
		}
	}
}

// checkNodeOnce asserts the node went out on the first request only, with
// what the bootstrap says.
func checkNodeOnce(t *testing.T, ads *adsServer) {
	t.Helper()
	reqs := ads.requests()
	node := reqs[0].GetNode()
	if node.GetId() != testIdentity.NodeID() || node.GetCluster() != "reviews.default" ||
		node.GetMetadata().GetFields()["SERVICE_ACCOUNT"].GetStringValue() != "reviews" {
		t.Errorf("first request node = %v", node)
	}
	for i, r := range reqs[1:] {
		if r.GetNode() != nil {
			t.Errorf("request %d (%s) repeats the node despite set_node_on_first_message_only", i+1, r.GetTypeUrl())
		}
	}
}

// TestFollowsPushes changes the split and drops a route: the stand-in sees
// the new weights, unsubscribes from the dropped route and forgets it.
func TestFollowsPushes(t *testing.T) {
	ca := testCA(t)
	sock := startSDS(t, ca).socket
	serving, err := ca.ServingCertificate([]string{serverName}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ads := startADS(t, serving, rootPool(ca), nil)
	ads.setSnapshot(t, mesh{version: "1", w1: 90, w2: 10, inboundRDS: true}.snapshot(t))
	e := startEnvoy(t, writeBootstrap(t, ads.addr, serverName, sock))
	if _, err := e.WaitFor(timeout(t), hasNames(allListeners, []string{routeOutbound, routeInbound}, allClusters, edsClusters)); err != nil {
		t.Fatal(err)
	}

	m := mesh{version: "2", w1: 50, w2: 50}
	ads.setSnapshot(t, m.snapshot(t))
	s, err := e.WaitFor(timeout(t), func(s Snapshot) bool {
		return hasNames(allListeners, []string{routeOutbound}, allClusters, edsClusters)(s) && s.Versions[resource.RouteType] == "2"
	})
	if err != nil {
		t.Fatal(err)
	}
	checkResources(t, s, m)
	err = ads.waitRequest(timeout(t), func(r *discoveryv3.DiscoveryRequest) bool {
		return r.GetTypeUrl() == resource.RouteType && slices.Equal(r.GetResourceNames(), []string{routeOutbound})
	})
	if err != nil {
		t.Errorf("no RDS request narrowed to %q: %v", routeOutbound, err)
	}
}

// TestNACKsInvalidResource: a cluster Envoy's validation rejects is NACKed
// with its name, the others are used, and the CDS version stays unaccepted.
func TestNACKsInvalidResource(t *testing.T) {
	ca := testCA(t)
	sock := startSDS(t, ca).socket
	serving, err := ca.ServingCertificate([]string{serverName}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ads := startADS(t, serving, rootPool(ca), nil)
	ads.setSnapshot(t, mesh{version: "1", w1: 90, w2: 10, badCluster: true}.snapshot(t))
	e := startEnvoy(t, writeBootstrap(t, ads.addr, serverName, sock))
	s, err := e.WaitFor(timeout(t), func(s Snapshot) bool {
		return len(s.NACKs) > 0 && hasNames(allListeners, []string{routeOutbound}, allClusters, edsClusters)(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	n := s.NACKs[0]
	if n.TypeURL != resource.ClusterType || !strings.Contains(n.Error, "outbound|9080|bad|") || !strings.Contains(n.Error, "ConnectTimeout") {
		t.Errorf("NACK = %+v, want CDS naming the bad cluster and its connect_timeout", n)
	}
	if v := s.Versions[resource.ClusterType]; v != "" {
		t.Errorf("CDS version %q accepted despite the NACK", v)
	}
	err = ads.waitRequest(timeout(t), func(r *discoveryv3.DiscoveryRequest) bool {
		return r.GetTypeUrl() == resource.ClusterType && r.GetErrorDetail() != nil && r.GetResponseNonce() != ""
	})
	if err != nil {
		t.Errorf("server got no NACK: %v", err)
	}
}

// TestRefusesServer: the stand-in does not talk to a server whose
// certificate lacks the bootstrap's SAN or chains to another CA.
func TestRefusesServer(t *testing.T) {
	ca := testCA(t)
	other := testCA(t)
	for _, tc := range []struct {
		name       string
		issuer     *testca.CA
		serverName string
		want       error
		wantText   []string
	}{
		{name: "wrong SAN", issuer: ca, serverName: "weftd.elsewhere.svc", want: ErrSANMismatch,
			wantText: []string{"weftd.elsewhere.svc", serverName}},
		{name: "other CA", issuer: other, serverName: serverName, want: ErrUntrustedChain,
			wantText: []string{"certificate signed by unknown authority"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := startSDS(t, ca).socket
			serving, err := tc.issuer.ServingCertificate([]string{serverName}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ads := startADS(t, serving, rootPool(ca), nil)
			e, err := StartFromFile(timeout(t), writeBootstrap(t, ads.addr, tc.serverName, sock))
			if err == nil {
				_ = e.Close()
				t.Fatal("stand-in connected")
			}
			t.Logf("refused: %v", err)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %q", err, tc.want)
			}
			for _, s := range tc.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if n := len(ads.requests()); n != 0 {
				t.Errorf("server received %d requests", n)
			}
		})
	}
}

// TestReportsStreamRefusal: a server refusing the stream surfaces as the
// gRPC status from WaitFor and Err.
func TestReportsStreamRefusal(t *testing.T) {
	ca := testCA(t)
	sock := startSDS(t, ca).socket
	serving, err := ca.ServingCertificate([]string{serverName}, nil)
	if err != nil {
		t.Fatal(err)
	}
	refuse := server.CallbackFuncs{StreamOpenFunc: func(context.Context, int64, string) error {
		return status.Error(codes.PermissionDenied, "identity not allowed")
	}}
	ads := startADS(t, serving, rootPool(ca), refuse)
	e := startEnvoy(t, writeBootstrap(t, ads.addr, serverName, sock))
	_, err = e.WaitFor(timeout(t), func(Snapshot) bool { return false })
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "identity not allowed") {
		t.Errorf("WaitFor error = %v, want PermissionDenied", err)
	}
	if status.Code(e.Err()) != codes.PermissionDenied {
		t.Errorf("Err() = %v, want PermissionDenied", e.Err())
	}
}

// TestWaitsForServer: a server that is not serving yet (it drops
// connections) is retried, as Envoy does, and reached once it serves.
func TestWaitsForServer(t *testing.T) {
	ca := testCA(t)
	sock := startSDS(t, ca).socket
	serving, err := ca.ServingCertificate([]string{serverName}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	attempted := make(chan struct{})
	go dropFirst(lis, attempted)
	path := writeBootstrap(t, lis.Addr().String(), serverName, sock)
	started := make(chan error, 1)
	var e *Envoy
	go func() {
		var err error
		e, err = StartFromFile(timeout(t), path)
		started <- err
	}()
	select {
	case <-attempted:
	case <-timeout(t).Done():
		t.Fatal("stand-in never connected")
	}
	ads := startADSOn(t, lis, serving, rootPool(ca), nil)
	ads.setSnapshot(t, mesh{version: "1", w1: 90, w2: 10}.snapshot(t))
	if err := <-started; err != nil {
		t.Fatalf("start: %v", err)
	}
	defer e.Close()
	if _, err := e.WaitFor(timeout(t), hasNames(allListeners, []string{routeOutbound}, allClusters, edsClusters)); err != nil {
		t.Fatal(err)
	}
}

// dropFirst accepts one connection on lis and closes it unanswered, then
// signals, leaving lis to the real server.
func dropFirst(lis net.Listener, attempted chan<- struct{}) {
	c, err := lis.Accept()
	if err == nil {
		_ = c.Close()
	}
	close(attempted)
}

// TestFollowsSDSRotation: a certificate the agent rotates reaches the
// stand-in, for its next handshake, as it reaches Envoy.
func TestFollowsSDSRotation(t *testing.T) {
	ca := testCA(t)
	sf := startSDS(t, ca)
	serving, err := ca.ServingCertificate([]string{serverName}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ads := startADS(t, serving, rootPool(ca), nil)
	e := startEnvoy(t, writeBootstrap(t, ads.addr, serverName, sf.socket))
	next, err := ca.IssueBundle(workloadID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := sf.srv.Update(next); err != nil {
		t.Fatal(err)
	}
	_, err = e.WaitFor(timeout(t), func(Snapshot) bool { return e.ClientCertificate().Equal(next.Leaf) })
	if err != nil {
		t.Fatalf("rotated certificate not taken: %v", err)
	}
	if n := e.NACKs(); len(n) > 0 {
		t.Errorf("NACKs: %v", n)
	}
}

// TestStartNeedsSDS: without the agent's socket there is no certificate,
// and Start says which secret and socket it waited for.
func TestStartNeedsSDS(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "sds.sock")
	_, err := StartFromFile(timeout(t), writeBootstrap(t, "127.0.0.1:15012", serverName, missing))
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), `"default"`) {
		t.Errorf("error = %v, want one naming secret \"default\" and %s", err, missing)
	}
}
