package kubee2e

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// Rotating the CA root under traffic: both roots are trusted first, then
// new leaves are signed by the new root, and no RPC fails on the way.
func TestRootRotationUnderTraffic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m := startMTLSPair(ctx, t, mtlsPairOptions{ipPrefix: "10.244.7.", trustCheck: time.Second, mirror: true,
		weftdArgs: []string{"--ca-rotation-propagation=3s", "--ca-sync-interval=1s"}})
	env, ns, roots, server, client, c := m.env, m.ns, m.roots, m.server, m.client, m.rpc
	oldRoot := parseFirstCert(t, roots)

	results := make(chan grpcapp.Result, 1)
	go func() {
		results <- c.Run(ctx, grpcapp.RunOptions{N: 2500, Rate: 50, Concurrency: 4, PerCallTimeout: 2 * time.Second})
	}()
	kubectl(t, env, "annotate", "secret", "weft-ca-root", "-n", ns, "ca.weft.io/rotate=requested", "--overwrite")
	signedByNew := func() bool {
		return server.Certificate().Leaf.CheckSignatureFrom(oldRoot) != nil && client.Certificate().Leaf.CheckSignatureFrom(oldRoot) != nil
	}
	deadline := time.Now().Add(90 * time.Second)
	for !signedByNew() && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
	}
	res := <-results
	t.Logf("during rotation: %v", res)
	if !signedByNew() {
		t.Fatal("workload certificates were still signed by the old root 90s after the rotation was requested")
	}
	if res.Failed() != 0 {
		t.Errorf("%d RPCs failed during root rotation: %v", res.Failed(), res.Errors)
	}
	if n := strings.Count(readFile(t, roots), "BEGIN CERTIFICATE"); n != 2 {
		t.Errorf("published root bundle holds %d roots after the switch, want old and new (2)", n)
	}
}

// mirrorRootConfigMap keeps path equal to the namespace's istio-ca-root-cert.
func mirrorRootConfigMap(ctx context.Context, env *kubeenv.Env, ns, path string) {
	for i := 0; i < 1000 && ctx.Err() == nil; i++ {
		out, err := env.Kubectl("get", "configmap", "istio-ca-root-cert", "-n", ns, "-o", `jsonpath={.data.root-cert\.pem}`)
		if err == nil && strings.Contains(out, "BEGIN CERTIFICATE") {
			tmp := path + ".tmp"
			if os.WriteFile(tmp, []byte(out), 0o644) == nil {
				_ = os.Rename(tmp, path)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func parseFirstCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(readFile(t, path)))
	if block == nil {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	must(t, err)
	return c
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return string(b)
}
