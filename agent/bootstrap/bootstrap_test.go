package bootstrap_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/agent/certfiles"
	"github.com/weftmesh/weft/pilot/xds/build"
)

var pod = bootstrap.Identity{
	PodName: "reviews-v1-abc", Namespace: "prod", IP: "10.244.1.2", ServiceAccount: "bookinfo-reviews",
	Labels: map[string]string{"app": "reviews", "version": "v1"},
}

func TestNamesMatchWhatWeftdSends(t *testing.T) {
	for _, p := range [][2]string{
		{bootstrap.SDSCluster, build.SDSCluster},
		{bootstrap.SecretWorkload, build.SecretWorkload},
		{bootstrap.SecretRootCA, build.SecretRootCA},
		{bootstrap.CertProviderInstance, build.CertProviderInstance},
	} {
		if got, want := p[0], p[1]; got != want {
			t.Errorf("agent uses %q where weftd's config says %q", got, want)
		}
	}
}

func TestIdentity(t *testing.T) {
	if got := pod.NodeID(); got != "sidecar~10.244.1.2~reviews-v1-abc.prod~prod.svc.cluster.local" {
		t.Errorf("node id %q", got)
	}
	if got := pod.SPIFFEID(); got != "spiffe://cluster.local/ns/prod/sa/bookinfo-reviews" {
		t.Errorf("SPIFFE ID %q", got)
	}
	bad := bootstrap.Identity{PodName: "a~b", IP: "not-an-ip"}
	err := bad.Validate()
	for _, want := range []string{"POD_NAMESPACE", "INSTANCE_IP", "'~'"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %s", err, want)
		}
	}
}

func grpcBootstrap(t *testing.T, plaintext bool) []byte {
	t.Helper()
	bs, err := bootstrap.GRPC(bootstrap.GRPCOptions{
		Identity: pod, XDSAddr: "weftd.weft-system.svc:15012", XDSPlaintext: plaintext,
		Certs: certfiles.PathsIn("/var/run/weft/certs"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func TestGRPCBootstrapFields(t *testing.T) {
	var got struct {
		XDSServers []struct {
			ServerURI    string `json:"server_uri"`
			ChannelCreds []struct {
				Type   string            `json:"type"`
				Config map[string]string `json:"config"`
			} `json:"channel_creds"`
		} `json:"xds_servers"`
		Node struct {
			ID       string         `json:"id"`
			Metadata map[string]any `json:"metadata"`
		} `json:"node"`
		Template  string `json:"server_listener_resource_name_template"`
		Providers map[string]struct {
			PluginName string            `json:"plugin_name"`
			Config     map[string]string `json:"config"`
		} `json:"certificate_providers"`
	}
	if err := json.Unmarshal(grpcBootstrap(t, false), &got); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"certificate_file":    "/var/run/weft/certs/cert-chain.pem",
		"private_key_file":    "/var/run/weft/certs/key.pem",
		"ca_certificate_file": "/var/run/weft/certs/root-cert.pem",
		"refresh_interval":    "10s",
	}
	srv := got.XDSServers[0]
	if srv.ServerURI != "weftd.weft-system.svc:15012" || srv.ChannelCreds[0].Type != "tls" {
		t.Errorf("xds server %+v", srv)
	}
	for k, v := range files {
		if srv.ChannelCreds[0].Config[k] != v {
			t.Errorf("channel_creds config %s = %q, want %q", k, srv.ChannelCreds[0].Config[k], v)
		}
		if got.Providers["default"].Config[k] != v {
			t.Errorf("certificate provider config %s = %q, want %q", k, got.Providers["default"].Config[k], v)
		}
	}
	if got.Providers["default"].PluginName != "file_watcher" {
		t.Errorf("provider plugin %q", got.Providers["default"].PluginName)
	}
	if got.Node.ID != pod.NodeID() || got.Template != "xds.istio.io/grpc/lds/inbound/%s" {
		t.Errorf("node id %q, template %q", got.Node.ID, got.Template)
	}
	md := got.Node.Metadata
	for k, want := range map[string]string{"NAMESPACE": "prod", "SERVICE_ACCOUNT": "bookinfo-reviews", "GENERATOR": "grpc", "CERT_PROVIDERS": "default", "INSTANCE_IPS": "10.244.1.2"} {
		if md[k] != want {
			t.Errorf("metadata %s = %v, want %q", k, md[k], want)
		}
	}
	if md["LABELS"].(map[string]any)["version"] != "v1" {
		t.Errorf("LABELS %v", md["LABELS"])
	}
}

// grpc-go parses a bootstrap, certificate provider configs included, in
// xds.BootstrapContentsForTesting and only logs a warning when it is bad;
// TestMain routes grpc-go's log here to see that warning.
func TestGRPCAcceptsTheBootstrap(t *testing.T) {
	for _, plaintext := range []bool{false, true} {
		if err := grpcParse(grpcBootstrap(t, plaintext)); err != nil {
			t.Errorf("plaintext=%v: %v", plaintext, err)
		}
	}
	// The check has teeth: a refresh interval that is not a JSON Duration is
	// refused by grpc-go's file_watcher config parser.
	bad := bytes.ReplaceAll(grpcBootstrap(t, true), []byte(`"10s"`), []byte(`"10"`))
	if err := grpcParse(bad); err == nil || !strings.Contains(err.Error(), "pemfile") {
		t.Errorf("malformed refresh_interval: %v; want grpc-go's pemfile parser to reject it", err)
	}
}

func envoyBootstrap(t *testing.T, opts bootstrap.EnvoyOptions) *bootstrapv3.Bootstrap {
	t.Helper()
	opts.Identity = pod
	opts.SDSSocket = "/var/run/weft/sds.sock"
	out, err := bootstrap.Envoy(opts)
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(out, &b); err != nil {
		t.Fatalf("bootstrap JSON does not parse as envoy.config.bootstrap.v3.Bootstrap: %v", err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("ValidateAll: %v", err)
	}
	return &b
}

func cluster(t *testing.T, b *bootstrapv3.Bootstrap, name string) *clusterv3.Cluster {
	t.Helper()
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() == name {
			return c
		}
	}
	t.Fatalf("no cluster %s", name)
	return nil
}

func TestEnvoyBootstrapOverTLS(t *testing.T) {
	b := envoyBootstrap(t, bootstrap.EnvoyOptions{XDSAddr: "weftd.weft-system.svc:15012"})
	if b.Node.Id != pod.NodeID() || b.Node.Cluster != "reviews.prod" {
		t.Errorf("node %s / %s", b.Node.Id, b.Node.Cluster)
	}
	md := b.Node.Metadata.AsMap()
	if md["NAMESPACE"] != "prod" || md["SERVICE_ACCOUNT"] != "bookinfo-reviews" || md["LABELS"].(map[string]any)["app"] != "reviews" {
		t.Errorf("metadata %v", md)
	}
	if _, ok := md["GENERATOR"]; ok {
		t.Error("an Envoy sidecar must not claim GENERATOR (weftd would treat it as proxyless)")
	}
	if a := b.Admin.Address.GetSocketAddress(); a.Address != "127.0.0.1" || a.GetPortValue() != 15000 {
		t.Errorf("admin %v", a)
	}
	if got := b.DynamicResources.AdsConfig.GrpcServices[0].GetEnvoyGrpc().ClusterName; got != "xds-grpc" {
		t.Errorf("ADS cluster %q", got)
	}
	xdsC := cluster(t, b, "xds-grpc")
	if xdsC.GetType() != clusterv3.Cluster_LOGICAL_DNS {
		t.Errorf("xds-grpc type %v for a DNS name", xdsC.GetType())
	}
	var tlsCtx tlsv3.UpstreamTlsContext
	if err := xdsC.TransportSocket.GetTypedConfig().UnmarshalTo(&tlsCtx); err != nil {
		t.Fatal(err)
	}
	if err := tlsCtx.ValidateAll(); err != nil {
		t.Fatal(err)
	}
	common := tlsCtx.CommonTlsContext
	combined := common.GetCombinedValidationContext()
	if tlsCtx.Sni != "weftd.weft-system.svc" ||
		common.TlsCertificateSdsSecretConfigs[0].Name != "default" ||
		combined.ValidationContextSdsSecretConfig.Name != "ROOTCA" ||
		combined.DefaultValidationContext.MatchTypedSubjectAltNames[0].Matcher.GetExact() != "weftd.weft-system.svc" {
		t.Errorf("xDS TLS must present 'default' and verify weftd's name against ROOTCA: %v", &tlsCtx)
	}
	sds := cluster(t, b, "sds-grpc")
	if got := sds.LoadAssignment.Endpoints[0].LbEndpoints[0].GetEndpoint().Address.GetPipe().GetPath(); got != "/var/run/weft/sds.sock" {
		t.Errorf("sds-grpc pipe %q", got)
	}
	if sds.TypedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] == nil {
		t.Error("sds-grpc lacks HTTP/2 protocol options")
	}
}

func TestEnvoyBootstrapPlaintextToAnIP(t *testing.T) {
	b := envoyBootstrap(t, bootstrap.EnvoyOptions{XDSAddr: "127.0.0.1:15010", XDSPlaintext: true, AdminAddr: "127.0.0.1:15999"})
	xdsC := cluster(t, b, "xds-grpc")
	if xdsC.GetType() != clusterv3.Cluster_STATIC || xdsC.TransportSocket != nil {
		t.Errorf("plaintext to an IP: type %v, transport socket %v", xdsC.GetType(), xdsC.TransportSocket)
	}
	if b.Admin.Address.GetSocketAddress().GetPortValue() != 15999 {
		t.Error("admin address option ignored")
	}
}

func TestBootstrapsRejectMissingPieces(t *testing.T) {
	if _, err := bootstrap.Envoy(bootstrap.EnvoyOptions{Identity: pod, XDSAddr: "weftd"}); err == nil {
		t.Error("Envoy bootstrap without SDS socket or port accepted")
	}
	if _, err := bootstrap.GRPC(bootstrap.GRPCOptions{Identity: bootstrap.Identity{}, XDSAddr: "x:1"}); err == nil {
		t.Error("grpc bootstrap without identity or files accepted")
	}
}

// Like Istio's agent, both bootstraps declare the node locality a pod's
// istio-locality label gives ("." separating its parts); grpc-go accepts
// it, and without the label there is none.
func TestBootstrapNodeLocality(t *testing.T) {
	located := pod
	located.Labels = map[string]string{"app": "reviews", "istio-locality": "us-east.zone-a.rack-1"}
	want := &corev3.Locality{Region: "us-east", Zone: "zone-a", SubZone: "rack-1"}
	out, err := bootstrap.Envoy(bootstrap.EnvoyOptions{Identity: located, XDSAddr: "weftd.weft-system.svc:15012", SDSSocket: "/s.sock"})
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(out, &b); err != nil || !proto.Equal(b.GetNode().GetLocality(), want) {
		t.Fatalf("envoy node locality %v (%v), want %v", b.GetNode().GetLocality(), err, want)
	}
	g, err := bootstrap.GRPC(bootstrap.GRPCOptions{Identity: located, XDSAddr: "weftd.weft-system.svc:15012", XDSPlaintext: true,
		Certs: certfiles.PathsIn("/var/run/weft/certs")})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(g, []byte(`"sub_zone": "rack-1"`)) {
		t.Errorf("grpc bootstrap lacks the locality:\n%s", g)
	}
	if err := grpcParse(g); err != nil {
		t.Errorf("grpc-go refused the bootstrap: %v", err)
	}
	if pod.Locality() != nil {
		t.Errorf("no locality label, locality %v", pod.Locality())
	}
}
