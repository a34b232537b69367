package kubee2e

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/tests/grpcapp"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// Rotating the CA root under traffic: both roots are trusted first, then
// new leaves are signed by the new root, and no RPC fails on the way.
func TestRootRotationUnderTraffic(t *testing.T) {
	env := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	kubectl(t, env, "create", "serviceaccount", "reviews", "-n", ns)
	kubectl(t, env, "create", "serviceaccount", "productpage", "-n", ns)
	apply(t, env, meshedDeploymentYAML(ns)+"---\n"+strictYAML(ns))
	w := startWeftd(t, env, "--leader-elect=false", "--namespace="+ns, "--ca-rotation-propagation=3s", "--ca-sync-interval=1s")
	pod := env.WaitRunPods(t, ns, "app=reviews", 1, kubeenv.SequentialIPs("10.244.7.", 2))[0]
	podIP := kubectl(t, env, "get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.podIP}")
	roots := waitRootCert(t, env, ns)
	oldRoot := parseFirstCert(t, roots)
	go mirrorRootConfigMap(ctx, env, ns, roots) // what kubelet does for the mounted ConfigMap

	spec := agentSpec{ns: ns, caAddr: w.CAAddr, xdsAddr: w.XDSAddr, roots: roots, trustCheck: time.Second}
	spec.sa, spec.pod, spec.ip = "reviews", pod, podIP
	server := startAgent(ctx, t, env, spec)
	spec.sa, spec.pod, spec.ip = "productpage", "productpage", "10.244.7.200"
	client := startAgent(ctx, t, env, spec)
	b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{Name: pod, Addr: podIP + ":9080", XDSAddr: w.XDSAddr,
		PodName: pod, Namespace: ns, ServiceAccount: "reviews", CertDir: filepath.Dir(server.CertPaths().Key), Logf: t.Logf})
	must(t, err)
	t.Cleanup(b.Stop)
	must(t, grpcapp.WaitServing(ctx, b))
	c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: "reviews." + ns + ".svc.cluster.local:9080", XDSAddr: w.XDSAddr,
		PodName: "productpage", Namespace: ns, IP: "10.244.7.200", ServiceAccount: "productpage", CertDir: filepath.Dir(client.CertPaths().Key)})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = grpcapp.WaitFor(ctx, c, grpcapp.AllOn(pod))
	must(t, err)

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
