package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// secretMap is a SecretSource for tests, by namespace/name; readers are
// the namespace/serviceAccount workloads authorized for keys.
type secretMap struct {
	mu      sync.Mutex
	m       map[string]map[string][]byte
	readers map[string]bool
}

func (s *secretMap) Authorize(ns, sa string) error {
	if !s.readers[ns+"/"+sa] {
		return errors.New("may not list secrets")
	}
	return nil
}

func (s *secretMap) Secret(ns, name string) (map[string][]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.m[ns+"/"+name]
	return d, ok
}

func (s *secretMap) set(key string, d map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = d
}

// sdsStream opens an ADS stream as Envoy's SDS over ADS does and returns
// a function reading the next Secret response (and ACKing it).
func sdsStream(t *testing.T, c discovery.AggregatedDiscoveryServiceClient, nodeID, ns string, names ...string) func() map[string]*tlsv3.Secret {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	s, err := c.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := &discovery.DiscoveryRequest{Node: node(nodeID, map[string]any{"NAMESPACE": ns}), TypeUrl: resource.SecretType, ResourceNames: names}
	if err := s.Send(req); err != nil {
		t.Fatal(err)
	}
	return func() map[string]*tlsv3.Secret {
		t.Helper()
		resp, err := s.Recv()
		if err != nil {
			t.Fatalf("SDS stream: %v", err)
		}
		if resp.TypeUrl != resource.SecretType {
			t.Fatalf("response of type %s", resp.TypeUrl)
		}
		out := map[string]*tlsv3.Secret{}
		for _, a := range resp.Resources {
			sec := &tlsv3.Secret{}
			if err := a.UnmarshalTo(sec); err != nil {
				t.Fatal(err)
			}
			out[sec.Name] = sec
		}
		ack := &discovery.DiscoveryRequest{TypeUrl: resource.SecretType, ResourceNames: names, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}
		if err := s.Send(ack); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// A DestinationRule's credentialName is served as istiod serves it: the
// Secret of the proxy's own namespace, the namespace being the one in the
// proxy's verified certificate. A proxy of another namespace naming it
// (explicitly or by a same-named Secret it lacks) gets nothing.
func TestSDSServesSecretsOfTheProxysNamespaceOnly(t *testing.T) {
	f := startSecure(t, "cluster.local", Options{})
	src := &secretMap{m: map[string]map[string][]byte{
		"default/bank-client": {"tls.crt": []byte("chain-a"), "tls.key": []byte("key-a"), "ca.crt": []byte("ca-a")},
	}, readers: map[string]bool{"default/reviews": true, "shop/web": true}}
	f.srv.SetSecrets(src)

	recv := sdsStream(t, f.dial(t, "default", "reviews"), clientNode, "default", "kubernetes://bank-client", "kubernetes://bank-client-cacert")
	got := recv()
	tc := got["kubernetes://bank-client"].GetTlsCertificate()
	if string(tc.GetCertificateChain().GetInlineBytes()) != "chain-a" || string(tc.GetPrivateKey().GetInlineBytes()) != "key-a" {
		t.Errorf("kubernetes://bank-client = %v, want default/bank-client's tls.crt and tls.key", tc)
	}
	if ca := got["kubernetes://bank-client-cacert"].GetValidationContext().GetTrustedCa().GetInlineBytes(); string(ca) != "ca-a" {
		t.Errorf("kubernetes://bank-client-cacert trusted CA = %q, want default/bank-client's ca.crt", ca)
	}

	// A rotated Secret is pushed to the proxy that holds it.
	src.set("default/bank-client", map[string][]byte{"cert": []byte("chain-b"), "key": []byte("key-b"), "cacert": []byte("ca-b")})
	f.srv.SecretsChanged()
	got = recv()
	if c := got["kubernetes://bank-client"].GetTlsCertificate().GetCertificateChain().GetInlineBytes(); string(c) != "chain-b" {
		t.Errorf("after rotation: chain %q, want chain-b", c)
	}

	other := sdsStream(t, f.dial(t, "shop", "web"), "sidecar~127.0.0.9~web-0.shop~shop.svc.cluster.local", "shop",
		"kubernetes://default/bank-client", "kubernetes://bank-client", "kubernetes://bank-client-cacert")
	if got := other(); len(got) != 0 {
		t.Errorf("proxy in shop got %d of default's secrets: %v", len(got), got)
	}

	// As istiod: a workload that may not list its namespace's Secrets gets
	// the CA, which is public, but not the key.
	unauthorized := sdsStream(t, f.dial(t, "default", "ratings"), "sidecar~127.0.0.9~ratings-0.default~default.svc.cluster.local", "default",
		"kubernetes://bank-client", "kubernetes://bank-client-cacert")
	got = unauthorized()
	if len(got) != 1 || got["kubernetes://bank-client-cacert"] == nil {
		t.Errorf("unauthorized workload got %v, want only kubernetes://bank-client-cacert", got)
	}
}

func TestParseSecretName(t *testing.T) {
	id := Identity{SPIFFEID: "spiffe://cluster.local/ns/shop/sa/web", Namespace: "shop", ServiceAccount: "web"}
	for _, tt := range []struct {
		in   string
		want secretRef
		ok   bool
	}{
		{"kubernetes://cred", secretRef{namespace: "shop", name: "cred"}, true},
		{"kubernetes://cred-cacert", secretRef{namespace: "shop", name: "cred-cacert", caOnly: true}, true},
		{"kubernetes://default/cred", secretRef{namespace: "default", name: "cred"}, true},
		{"kubernetes://", secretRef{}, false},
		{"kubernetes://a/b/c", secretRef{}, false},
		{"default", secretRef{}, false},
		{"file-root:/ca.pem", secretRef{}, false},
	} {
		got, ok := parseSecretName(tt.in, id)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("parseSecretName(%q) = %+v %v, want %+v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEnvoySecretKeys(t *testing.T) {
	src := &secretMap{m: map[string]map[string][]byte{
		"ns/generic":        {"cert": []byte("c"), "key": []byte("k"), "cacert": []byte("ca"), "crl": []byte("crl")},
		"ns/tls":            {"tls.crt": []byte("c"), "tls.key": []byte("k"), "ca.crt": []byte("ca"), "ca.crl": []byte("crl")},
		"ns/split":          {"tls.crt": []byte("c"), "tls.key": []byte("k")},
		"ns/split-cacert":   {"ca.crt": []byte("separate")},
		"ns/empty-key":      {"tls.crt": []byte("c"), "tls.key": nil},
		"ns/no-ca-anywhere": {"tls.crt": []byte("c"), "tls.key": []byte("k")},
	}}
	for _, tt := range []struct {
		name, ref string
		ca        string // wanted trusted CA, or "" for a certificate
		err       bool
	}{
		{"generic keys", "generic", "", false},
		{"generic CA and CRL", "generic-cacert", "ca", false},
		{"tls keys", "tls", "", false},
		{"ca.crt in the same secret", "tls-cacert", "ca", false},
		{"separate NAME-cacert secret wins", "split-cacert", "separate", false},
		{"empty key", "empty-key", "", true},
		{"no CA", "no-ca-anywhere-cacert", "", true},
		{"missing", "absent", "", true},
	} {
		ref, _ := parseSecretName("kubernetes://"+tt.ref, Identity{Namespace: "ns"})
		sec, err := envoySecret("kubernetes://"+tt.ref, ref, src)
		if (err != nil) != tt.err {
			t.Errorf("%s: error %v, want error %v", tt.name, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if err := sec.ValidateAll(); err != nil {
			t.Errorf("%s: invalid secret: %v", tt.name, err)
		}
		if tt.ca != "" && string(sec.GetValidationContext().GetTrustedCa().GetInlineBytes()) != tt.ca {
			t.Errorf("%s: CA %q, want %q", tt.name, sec.GetValidationContext().GetTrustedCa().GetInlineBytes(), tt.ca)
		}
		if tt.ca == "" && string(sec.GetTlsCertificate().GetCertificateChain().GetInlineBytes()) != "c" {
			t.Errorf("%s: no certificate chain", tt.name)
		}
	}
}

// Envoy configured for delta xDS subscribes to secrets by name too.
func TestSDSOverDeltaADS(t *testing.T) {
	f := startSecure(t, "cluster.local", Options{})
	f.srv.SetSecrets(&secretMap{m: map[string]map[string][]byte{"default/cred": {"ca.crt": []byte("ca")}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := f.dial(t, "default", "reviews").DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(&discovery.DeltaDiscoveryRequest{Node: node(clientNode, map[string]any{"NAMESPACE": "default"}),
		TypeUrl: resource.SecretType, ResourceNamesSubscribe: []string{"kubernetes://cred-cacert"}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		resp, err := s.Recv()
		if err != nil {
			t.Fatalf("delta stream: %v", err)
		}
		if resp.TypeUrl != resource.SecretType || len(resp.Resources) == 0 {
			continue // the first answer may precede the push
		}
		if resp.Resources[0].Name != "kubernetes://cred-cacert" {
			t.Errorf("got %s", resp.Resources[0].Name)
		}
		return
	}
}
