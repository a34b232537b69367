package server

import (
	"context"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// vaultYAML: an external service and a rule, selecting the client pod,
// that originates mutual TLS with the Secret vault-client.
const vaultYAML = `
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vault, namespace: default}
spec:
  hosts: [vault.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 8200, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: vault-client, namespace: default}
spec:
  host: vault.example.com
  workloadSelector: {matchLabels: {app: client}}
  trafficPolicy:
    tls: {mode: MUTUAL, credentialName: vault-client}
`

const vaultCluster = "outbound|8200||vault.example.com"

// A sidecar selected by a DestinationRule with credentialName gets, as from
// istiod, a cluster whose TLS names kubernetes://NAME and NAME-cacert on
// ADS, and then those secrets on the same authenticated stream.
func TestCredentialClusterAndItsSecretsOnOneStream(t *testing.T) {
	f := startSecure(t, "cluster.local", Options{})
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+podYAML+vaultYAML))
	f.srv.SetSecrets(&secretMap{m: map[string]map[string][]byte{
		"default/vault-client": {"tls.crt": []byte("chain"), "tls.key": []byte("key"), "ca.crt": []byte("ca")},
	}, readers: map[string]bool{"default/reviews": true}})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := f.dial(t, "default", "reviews").StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := node(clientNode, map[string]any{"NAMESPACE": "default", "LABELS": map[string]any{"app": "client"}})
	if err := s.Send(&discovery.DiscoveryRequest{Node: n, TypeUrl: resource.ClusterType}); err != nil {
		t.Fatal(err)
	}
	cds := recvType(t, s, resource.ClusterType)
	names := credentialSecrets(t, cds)
	want := []string{"kubernetes://vault-client", "kubernetes://vault-client-cacert"}
	if len(names) != 2 || names[0] != want[0] || names[1] != want[1] {
		t.Fatalf("%s fetches secrets %v over ADS, want %v", vaultCluster, names, want)
	}
	ack := &discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: cds.VersionInfo, ResponseNonce: cds.Nonce}
	if err := s.Send(ack); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.SecretType, ResourceNames: names}); err != nil {
		t.Fatal(err)
	}
	got := secretsOf(t, recvType(t, s, resource.SecretType))
	if c := got[want[0]].GetTlsCertificate(); string(c.GetCertificateChain().GetInlineBytes()) != "chain" || string(c.GetPrivateKey().GetInlineBytes()) != "key" {
		t.Errorf("%s = %v, want the Secret's tls.crt and tls.key", want[0], got[want[0]])
	}
	if ca := got[want[1]].GetValidationContext().GetTrustedCa().GetInlineBytes(); string(ca) != "ca" {
		t.Errorf("%s trusted CA = %q, want the Secret's ca.crt", want[1], ca)
	}
}

// recvType reads responses until one of type typeURL (others, pushed on
// the same stream, are skipped); a bounded number of them.
func recvType(t *testing.T, s discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient, typeURL string) *discovery.DiscoveryResponse {
	t.Helper()
	for range 10 {
		resp, err := s.Recv()
		if err != nil {
			t.Fatalf("waiting for %s: %v", typeURL, err)
		}
		if resp.TypeUrl == typeURL {
			return resp
		}
	}
	t.Fatalf("no %s response in 10", typeURL)
	return nil
}

// credentialSecrets are the ADS secret names vaultCluster's TLS fetches:
// client certificate, then CA.
func credentialSecrets(t *testing.T, resp *discovery.DiscoveryResponse) []string {
	t.Helper()
	for _, a := range resp.Resources {
		c := &clusterv3.Cluster{}
		if err := a.UnmarshalTo(c); err != nil {
			t.Fatal(err)
		}
		if c.Name != vaultCluster {
			continue
		}
		if c.GetTransportSocket() == nil {
			t.Fatalf("%s sent without TLS", vaultCluster)
		}
		ctx := &tlsv3.UpstreamTlsContext{}
		if err := c.GetTransportSocket().GetTypedConfig().UnmarshalTo(ctx); err != nil {
			t.Fatalf("%s transport socket: %v", vaultCluster, err)
		}
		var out []string
		common := ctx.GetCommonTlsContext()
		for _, sc := range append(common.GetTlsCertificateSdsSecretConfigs(), common.GetCombinedValidationContext().GetValidationContextSdsSecretConfig()) {
			if sc.GetSdsConfig().GetAds() == nil {
				t.Errorf("secret %s not fetched over ADS: %v", sc.GetName(), sc.GetSdsConfig())
			}
			out = append(out, sc.GetName())
		}
		return out
	}
	t.Fatalf("no cluster %s in CDS", vaultCluster)
	return nil
}

func secretsOf(t *testing.T, resp *discovery.DiscoveryResponse) map[string]*tlsv3.Secret {
	t.Helper()
	out := map[string]*tlsv3.Secret{}
	for _, a := range resp.Resources {
		sec := &tlsv3.Secret{}
		if err := a.UnmarshalTo(sec); err != nil {
			t.Fatal(err)
		}
		out[sec.Name] = sec
	}
	return out
}
