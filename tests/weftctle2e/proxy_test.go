package weftctle2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/xds"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

// strictReviews is reviews with meshed pods under STRICT mTLS: weftd sends
// TLS config to proxyless clients that announce a certificate provider.
const strictReviews = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {ports: [{name: grpc, port: 9080, targetPort: 9080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: grpc, port: 9080}]
endpoints:
- {addresses: [127.0.0.2], targetRef: {kind: Pod, name: reviews-v1}}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1, security.istio.io/tlsMode: istio}}
spec: {serviceAccountName: reviews, containers: [{name: reviews, image: x}]}
status: {phase: Running, podIP: 127.0.0.2}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec: {mtls: {mode: STRICT}}
`

const target = "reviews.default.svc.cluster.local:9080"

// nackingClient is a grpc-go xDS client whose node metadata announces the
// certificate provider "default" that its bootstrap does not declare:
// weftd sends it TLS config naming that provider and grpc-go rejects it.
func nackingClient(t *testing.T, xdsAddr, pod string) {
	t.Helper()
	bs := fmt.Sprintf(`{"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
  "node": {"id": %q, "metadata": {"NAMESPACE": "default", "GENERATOR": "grpc", "SERVICE_ACCOUNT": "default", "CERT_PROVIDERS": "default"}},
  "server_listener_resource_name_template": %q}`, xdsAddr, grpcapp.NodeID("127.0.0.1", pod, "default"), grpcapp.ServerListenerTemplate)
	rb, err := xds.NewXDSResolverWithConfigForTesting([]byte(bs))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient("xds:///"+target, grpc.WithResolvers(rb), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	conn.Connect()
	t.Cleanup(func() { conn.Close() })
}

func TestProxyStatusAndConfig(t *testing.T) {
	t.Parallel() // its own file-mode weftd; the other tests share the kube-apiserver
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := harness.StartWeftd(t, harness.WeftdOptions{})
	if err := w.WriteConfig("reviews.yaml", strictReviews); err != nil {
		t.Fatal(err)
	}
	good, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: target, XDSAddr: w.XDSAddr, PodName: "productpage"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { good.Close() })
	nackingClient(t, w.XDSAddr, "broken")
	goodID, badID := grpcapp.NodeID("127.0.0.1", "productpage", "default"), grpcapp.NodeID("127.0.0.1", "broken", "default")
	_, err = w.WaitSyncz(ctx, func(s harness.Syncz) bool {
		return harness.HasProxies(2, goodID, badID)(s) && synced(s, goodID) && nacked(s, badID)
	}, harness.SynczOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("proxy-status", func(t *testing.T) { checkProxyStatus(t, w.DebugAddr, goodID, badID) })
	t.Run("proxy-config", func(t *testing.T) { checkProxyConfig(t, w.DebugAddr, goodID) })
	t.Run("proxy-config secrets", func(t *testing.T) { checkSecrets(t, w.DebugAddr, goodID, badID) })
}

func synced(s harness.Syncz, id string) bool {
	for _, p := range s.Proxies {
		if p.ID == id {
			return len(p.Types) == 4 && p.Nacks == 0 && allAcked(p)
		}
	}
	return false
}

func allAcked(p harness.ProxyStatus) bool {
	for _, ts := range p.Types {
		if ts.Sent == "" || ts.Acked != ts.Sent || ts.Nacked {
			return false
		}
	}
	return true
}

func nacked(s harness.Syncz, id string) bool {
	for _, p := range s.Proxies {
		if p.ID == id {
			return p.LastNack != nil && p.Types[p.LastNack.Type].Nacked
		}
	}
	return false
}

// row returns the proxy-status table line of id and the line after the
// one starting with id+" last NACK" (the error), if any.
func row(out, id string) (string, string) {
	var r, nack string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, id+" last NACK: ") && i+1 < len(lines):
			nack = l + lines[i+1]
		case strings.HasPrefix(l, id+" "):
			r = l
		}
	}
	return r, nack
}

func checkProxyStatus(t *testing.T, addr, goodID, badID string) {
	out, code := run(t, "proxy-status", "--debug-addr", addr)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	t.Logf("proxy-status:\n%s", out)
	goodRow, _ := row(out, goodID)
	if strings.Count(goodRow, "SYNCED") != 4 {
		t.Errorf("good client not SYNCED on all four types: %q", goodRow)
	}
	badRow, nackLine := row(out, badID)
	if !strings.Contains(badRow, "NACKED") || !strings.Contains(nackLine, "last NACK: CDS") || !strings.Contains(nackLine, "certificate provider") {
		t.Errorf("NACKing client not shown as NACKED with its error:\n%s\n%s", badRow, nackLine)
	}
	js, code := run(t, "proxy-status", "--debug-addr", addr, "-o", "json")
	var proxies []map[string]any
	if err := json.Unmarshal([]byte(js), &proxies); err != nil || code != 0 || len(proxies) != 2 {
		t.Errorf("-o json: exit %d, %v: %s", code, err, js)
	}
	if _, code := run(t, "proxy-status", "--debug-addr", "127.0.0.1:1", "--timeout", "2s"); code == 0 {
		t.Error("proxy-status against nothing exited 0")
	}
}

func checkProxyConfig(t *testing.T, addr, id string) {
	cluster := "outbound|9080||reviews.default.svc.cluster.local"
	for section, want := range map[string]string{
		"clusters": cluster, "endpoints": "127.0.0.2:9080", "listeners": target, "routes": cluster,
	} {
		out, code := run(t, "proxy-config", section, id, "--debug-addr", addr)
		t.Logf("proxy-config %s:\n%s", section, out)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("proxy-config %s: exit %d, want %q in\n%s", section, code, want, out)
		}
	}
	// POD.NAMESPACE resolves like istioctl's; -o json is the raw dump.
	out, code := run(t, "proxy-config", "all", "productpage.default", "--debug-addr", addr, "-o", "json")
	var dump map[string][]json.RawMessage
	if err := json.Unmarshal([]byte(out), &dump); err != nil || code != 0 || len(dump) != 4 {
		t.Errorf("proxy-config all -o json: exit %d, %v, %d types", code, err, len(dump))
	}
	if _, code := run(t, "proxy-config", "clusters", "nobody.nowhere", "--debug-addr", addr); code == 0 {
		t.Error("unknown proxy exited 0")
	}
}

// checkSecrets: the client announcing a certificate provider gets TLS
// config naming it (what it NACKs); the plaintext client needs none.
func checkSecrets(t *testing.T, addr, goodID, badID string) {
	out, code := run(t, "proxy-config", "secrets", badID, "--debug-addr", addr)
	t.Logf("proxy-config secrets:\n%s", out)
	want := "outbound|9080||reviews.default.svc.cluster.local  certificate-provider  default"
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "identity") || !strings.Contains(out, "root") {
		t.Errorf("exit %d, want %q (identity and root) in\n%s", code, want, out)
	}
	out, code = run(t, "proxy-config", "secrets", goodID, "--debug-addr", addr, "-o", "json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("plaintext client: exit %d, secrets %s", code, out)
	}
}
