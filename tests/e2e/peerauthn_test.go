package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftmesh/weft/agent"
	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

const securedHost = "ratings.secured.svc.cluster.local"

// securedYAML is ratings in namespace "secured": one meshed pod
// (tlsMode=istio, service account ratings) and the namespace's
// PeerAuthentication in mode.
func securedYAML(port int, mode string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: secured}
spec: {ports: [{name: grpc, port: 9080, targetPort: %[1]d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ratings-1, namespace: secured, labels: {kubernetes.io/service-name: ratings}}
addressType: IPv4
ports: [{name: grpc, port: %[1]d}]
endpoints:
- {addresses: [127.0.0.4], targetRef: {kind: Pod, name: ratings-v1}}
---
apiVersion: v1
kind: Pod
metadata:
  name: ratings-v1
  namespace: secured
  labels: {app: ratings, security.istio.io/tlsMode: istio}
spec: {serviceAccountName: ratings, containers: [{name: ratings, image: x}]}
status: {phase: Running, podIP: 127.0.0.4}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: secured}
spec: {mtls: {mode: %[2]s}}
`, port, mode)
}

// PeerAuthentication on the server's namespace with real grpc-go xDS
// credentials and certificates from weft's CA through weft-agent. Istio's
// reference (security/peer_authentication): STRICT "Connection is an mTLS
// tunnel (TLS with client cert must be presented)"; DISABLE "Connection is
// not tunneled"; automatic mTLS sends plaintext to a server that disables
// it.
func TestPeerAuthenticationProxyless(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	server, client := ca.Identity{Namespace: "secured", ServiceAccount: "ratings"}, ca.Identity{Namespace: "default", ServiceAccount: "productpage"}
	meshCA := startMeshCA(t, server, client)
	w := harness.StartWeftd(t, harness.WeftdOptions{CAPluginDir: meshCA.dir})
	t.Cleanup(func() { assertNoNACKs(t, w) })
	port, err := harness.FreeCommonPort("127.0.0.4")
	must(t, err)
	must(t, w.WriteConfig("ratings.yaml", securedYAML(port, "DISABLE")))

	serverAgent := meshCA.agent(ctx, t, bootstrap.Identity{PodName: "ratings-v1", Namespace: "secured", IP: "127.0.0.4",
		ServiceAccount: "ratings", Labels: map[string]string{"app": "ratings", "security.istio.io/tlsMode": "istio"}}, w.XDSAddr)
	backend, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{Name: "ratings-v1", Addr: fmt.Sprintf("127.0.0.4:%d", port),
		Bootstrap: agentBootstrap(t, serverAgent), CertDir: certDir(serverAgent), Logf: t.Logf})
	must(t, err)
	t.Cleanup(backend.Stop)
	must(t, grpcapp.WaitServing(ctx, backend))

	clientAgent := meshCA.agent(ctx, t, bootstrap.Identity{PodName: "productpage", Namespace: "default", IP: "127.0.0.1",
		ServiceAccount: "productpage"}, w.XDSAddr)
	mtls := newRatingsClient(ctx, t, grpcapp.ClientOptions{Bootstrap: agentBootstrap(t, clientAgent), CertDir: certDir(clientAgent)})
	// xDS without credentials: grpc-go sends plaintext whatever weftd says.
	plain := newRatingsClient(ctx, t, grpcapp.ClientOptions{XDSAddr: w.XDSAddr, PodName: "legacy", ServiceAccount: "legacy"})
	quick := grpcapp.WaitOptions{Batch: grpcapp.RunOptions{N: 5, PerCallTimeout: time.Second}, Timeout: 30 * time.Second}
	batch := grpcapp.RunOptions{N: 10, PerCallTimeout: 2 * time.Second}

	t.Run("DISABLE: both clients succeed in plaintext", func(t *testing.T) {
		_, err := grpcapp.WaitForWith(ctx, plain, grpcapp.AllOn("ratings-v1"), quick)
		must(t, err)
		_, err = grpcapp.WaitForWith(ctx, mtls, grpcapp.AllOn("ratings-v1"), quick)
		must(t, err)
		seen := callsSeen(ctx, t, backend, mtls, batch)
		if seen[grpcapp.Plaintext] != int64(batch.N) {
			t.Fatalf("under DISABLE the mesh client's calls arrived as %v, want all %d plaintext", seen, batch.N)
		}
	})
	t.Run("STRICT: mTLS with the client's identity, plaintext refused", func(t *testing.T) {
		must(t, w.WriteConfig("ratings.yaml", securedYAML(port, "STRICT")))
		// The plaintext xDS client has its configuration already: once it
		// fails, the server has switched to mTLS.
		_, err := grpcapp.WaitForWith(ctx, plain, func(r grpcapp.Result) bool { return r.OK() == 0 }, quick)
		must(t, err)
		_, err = grpcapp.WaitForWith(ctx, mtls, grpcapp.AllOn("ratings-v1"), quick)
		must(t, err)
		seen := callsSeen(ctx, t, backend, mtls, batch)
		if want := "spiffe://cluster.local/ns/default/sa/productpage"; seen[want] != int64(batch.N) {
			t.Fatalf("under STRICT the server saw callers %v, want all %d as %s", seen, batch.N, want)
		}
		if r := plain.Run(ctx, batch); r.OK() != 0 {
			t.Fatalf("plaintext xDS client under STRICT: %d of %d calls succeeded", r.OK(), r.Total)
		}
		if err := plainCall(ctx, backend.Addr()); err == nil {
			t.Fatal("a plaintext client outside the mesh got through under STRICT")
		}
	})
	t.Run("back to DISABLE: plaintext client succeeds again", func(t *testing.T) {
		must(t, w.WriteConfig("ratings.yaml", securedYAML(port, "DISABLE")))
		_, err := grpcapp.WaitForWith(ctx, plain, grpcapp.AllOn("ratings-v1"), quick)
		must(t, err)
		_, err = grpcapp.WaitForWith(ctx, mtls, grpcapp.AllOn("ratings-v1"), quick)
		must(t, err)
		if seen := callsSeen(ctx, t, backend, mtls, batch); seen[grpcapp.Plaintext] != int64(batch.N) {
			t.Fatalf("the mesh client's calls arrived as %v, want all %d plaintext", seen, batch.N)
		}
	})
	// grpc-go cannot accept both on one port; istiod serves PERMISSIVE as
	// mTLS to a workload labelled tlsMode=istio, and so does weft.
	t.Run("PERMISSIVE on the meshed server: mTLS only, as with istiod", func(t *testing.T) {
		must(t, w.WriteConfig("ratings.yaml", securedYAML(port, "PERMISSIVE")))
		_, err := grpcapp.WaitForWith(ctx, plain, func(r grpcapp.Result) bool { return r.OK() == 0 }, quick)
		must(t, err)
		_, err = grpcapp.WaitForWith(ctx, mtls, grpcapp.AllOn("ratings-v1"), quick)
		must(t, err)
		if seen := callsSeen(ctx, t, backend, mtls, batch); seen["spiffe://cluster.local/ns/default/sa/productpage"] != int64(batch.N) {
			t.Fatalf("under PERMISSIVE the server saw callers %v, want all %d over mTLS", seen, batch.N)
		}
	})
}

func newRatingsClient(ctx context.Context, t *testing.T, o grpcapp.ClientOptions) *grpcapp.Client {
	t.Helper()
	o.Target = securedHost + ":9080"
	c, err := grpcapp.NewClient(ctx, o)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// callsSeen runs a batch that must all succeed and returns how the server
// saw those calls' callers.
func callsSeen(ctx context.Context, t *testing.T, b *grpcapp.Backend, c *grpcapp.Client, o grpcapp.RunOptions) map[string]int64 {
	t.Helper()
	before := b.PeerIdentities()
	if r := c.Run(ctx, o); r.OK() != o.N {
		t.Fatalf("%d of %d calls succeeded: %v", r.OK(), o.N, r.Errors)
	}
	after := b.PeerIdentities()
	out := maps.Clone(after)
	for id, n := range before {
		out[id] -= n
		if out[id] == 0 {
			delete(out, id)
		}
	}
	return out
}

func agentBootstrap(t *testing.T, a *agent.Agent) []byte {
	t.Helper()
	b, err := os.ReadFile(a.GRPCBootstrapPath())
	must(t, err)
	return b
}

func certDir(a *agent.Agent) string { return filepath.Dir(a.CertPaths().Key) }
