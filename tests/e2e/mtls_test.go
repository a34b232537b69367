package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

// meshedReviewsYAML is reviews with two meshed pods (tlsMode=istio) running
// as service account "reviews", and routing to one subset.
func meshedReviewsYAML(port int, subset, peerMode string) string {
	pod := func(name, version, ip string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: default
  labels: {app: reviews, version: %s, security.istio.io/tlsMode: istio}
spec: {serviceAccountName: reviews, containers: [{name: reviews, image: x}]}
status: {phase: Running, podIP: %s}
`, name, version, ip)
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {ports: [{name: grpc, port: 9080, targetPort: %[1]d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: grpc, port: %[1]d}]
endpoints:
- {addresses: [127.0.0.2], targetRef: {kind: Pod, name: reviews-v1}}
- {addresses: [127.0.0.3], targetRef: {kind: Pod, name: reviews-v2}}
---
%[2]s---
%[3]s---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: %[4]s}}]}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec: {mtls: {mode: %[5]s}}
`, port, pod("reviews-v1", "v1", "127.0.0.2"), pod("reviews-v2", "v2", "127.0.0.3"), subset, peerMode)
}

// PeerAuthentication and automatic mTLS with real grpc-go xDS credentials:
// STRICT refuses plaintext and accepts mTLS; a server whose identity is not
// the service's is refused; PERMISSIVE on a meshed proxyless server is
// mTLS only, as with istiod.
func TestMutualTLS(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := harness.StartWeftd(t, harness.WeftdOptions{})
	t.Cleanup(func() { assertNoNACKs(t, w) })
	port, err := harness.FreeCommonPort("127.0.0.2", "127.0.0.3")
	must(t, err)
	must(t, w.WriteConfig("reviews.yaml", meshedReviewsYAML(port, "v1", "STRICT")))
	ca := newTestCA(t)
	for i, b := range []struct{ name, version, identity string }{{"reviews-v1", "v1", "reviews"}, {"reviews-v2", "v2", "imposter"}} {
		// The node's labels are the pod's, as weft-agent reports them.
		backend, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{
			Name: b.name, Addr: fmt.Sprintf("127.0.0.%d:%d", i+2, port), XDSAddr: w.XDSAddr,
			Labels:         map[string]string{"app": "reviews", "version": b.version, "security.istio.io/tlsMode": "istio"},
			ServiceAccount: "reviews", CertDir: ca.issue(t, "default", b.identity), Logf: t.Logf,
		})
		must(t, err)
		t.Cleanup(backend.Stop)
		must(t, grpcapp.WaitServing(ctx, backend))
	}
	newClient := func(certDir string) *grpcapp.Client {
		c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: reviewsHost + ":9080", XDSAddr: w.XDSAddr,
			PodName: "productpage", ServiceAccount: "productpage", CertDir: certDir})
		must(t, err)
		t.Cleanup(func() { c.Close() })
		return c
	}
	mtls := newClient(ca.issue(t, "default", "productpage"))
	v1Addr := fmt.Sprintf("127.0.0.2:%d", port)
	quick := grpcapp.WaitOptions{Batch: grpcapp.RunOptions{N: 5, PerCallTimeout: time.Second}, Timeout: 20 * time.Second}

	t.Run("STRICT accepts mTLS", func(t *testing.T) {
		_, err := grpcapp.WaitForWith(ctx, mtls, grpcapp.AllOn("reviews-v1"), quick)
		must(t, err)
	})
	t.Run("STRICT refuses plaintext", func(t *testing.T) {
		if err := plainCall(ctx, v1Addr); err == nil {
			t.Fatal("a plaintext client outside the mesh got through to a STRICT server")
		}
	})
	t.Run("server with the wrong identity is refused", func(t *testing.T) {
		must(t, w.WriteConfig("reviews.yaml", meshedReviewsYAML(port, "v2", "STRICT")))
		_, err := grpcapp.WaitForWith(ctx, mtls, func(r grpcapp.Result) bool { return r.OK() == 0 }, quick)
		must(t, err)
		r := mtls.Run(ctx, grpcapp.RunOptions{N: 20, PerCallTimeout: time.Second})
		if r.ByBackend["reviews-v2"] != 0 {
			t.Fatalf("the client accepted the imposter's certificate: %v", r)
		}
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0], "handshake") {
			t.Fatalf("want TLS handshake failures (SAN mismatch), got %v", r.Errors)
		}
	})
	// grpc-go cannot accept TLS and plaintext on one port; as istiod does,
	// a server labelled tlsMode=istio serves PERMISSIVE as mTLS only (its
	// label tells mesh clients to use mTLS to it).
	t.Run("PERMISSIVE on a meshed proxyless server is mTLS", func(t *testing.T) {
		must(t, w.WriteConfig("reviews.yaml", meshedReviewsYAML(port, "v1", "PERMISSIVE")))
		if _, err := grpcapp.WaitForWith(ctx, mtls, grpcapp.AllOn("reviews-v1"), quick); err != nil {
			t.Errorf("mesh client under PERMISSIVE: %v", err)
		}
		if err := plainCall(ctx, v1Addr); err == nil {
			t.Error("a plaintext client got through to a meshed proxyless server under PERMISSIVE")
		}
	})
}

// plainCall is one RPC from outside the mesh: plain gRPC, no xDS, no TLS.
func plainCall(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	md := metadata.Pairs("x-call-id", fmt.Sprint(time.Now().UnixNano()))
	_, err = testpb.NewTestServiceClient(conn).UnaryCall(metadata.NewOutgoingContext(ctx, md), &testpb.SimpleRequest{})
	return err
}
