package kubee2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftmesh/weft/agent"
	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/tests/grpcapp"
	"github.com/weftmesh/weft/tests/kubeenv"
)

const workloadTTL = 20 * time.Second

// weft-agent gets each workload a certificate for its own identity from
// weftd's CA (authenticated by a real service-account token), and rotates
// it while a proxyless client calls a proxyless server over mutual TLS
// with no failed RPC.
func TestAgentRotatesCertificatesUnderTraffic(t *testing.T) {
	env := sharedEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := env.Namespace(t)
	kubectl(t, env, "create", "serviceaccount", "reviews", "-n", ns)
	kubectl(t, env, "create", "serviceaccount", "productpage", "-n", ns)
	apply(t, env, meshedDeploymentYAML(ns)+"---\n"+strictYAML(ns))
	w := startWeftd(t, env, "--leader-elect=false", "--namespace="+ns)
	pod := env.WaitRunPods(t, ns, "app=reviews", 1, kubeenv.SequentialIPs("10.244.6.", 2))[0]
	podIP := kubectl(t, env, "get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.podIP}")
	roots := waitRootCert(t, env, ns)

	server := startAgent(ctx, t, env, agentSpec{ns: ns, sa: "reviews", pod: pod, ip: podIP, caAddr: w.CAAddr, xdsAddr: w.XDSAddr, roots: roots})
	client := startAgent(ctx, t, env, agentSpec{ns: ns, sa: "productpage", pod: "productpage", ip: "10.244.6.200", caAddr: w.CAAddr, xdsAddr: w.XDSAddr, roots: roots})
	want := "spiffe://cluster.local/ns/" + ns + "/sa/reviews"
	if uris := server.Certificate().Leaf.URIs; len(uris) != 1 || uris[0].String() != want {
		t.Fatalf("workload certificate URI SANs %v, want [%s]", uris, want)
	}

	b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{Name: pod, Addr: podIP + ":9080", XDSAddr: w.XDSAddr,
		PodName: pod, Namespace: ns, ServiceAccount: "reviews", CertDir: filepath.Dir(server.CertPaths().Key), Logf: t.Logf})
	must(t, err)
	t.Cleanup(b.Stop)
	must(t, grpcapp.WaitServing(ctx, b))
	c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: "reviews." + ns + ".svc.cluster.local:9080", XDSAddr: w.XDSAddr,
		PodName: "productpage", Namespace: ns, IP: "10.244.6.200", ServiceAccount: "productpage", CertDir: filepath.Dir(client.CertPaths().Key)})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = grpcapp.WaitFor(ctx, c, grpcapp.AllOn(pod))
	must(t, err)

	rotations := watchRotations(ctx, server, client)
	res := c.Run(ctx, grpcapp.RunOptions{N: 1600, Rate: 50, Concurrency: 4, PerCallTimeout: 2 * time.Second})
	t.Logf("%v; server certificate generations seen: %d, client: %d", res, rotations.server.Load(), rotations.client.Load())
	if res.Failed() != 0 {
		t.Errorf("%d RPCs failed during certificate rotation: %v", res.Failed(), res.Errors)
	}
	if n := rotations.server.Load(); n < 2 {
		t.Errorf("server certificate rotated %d times during the run, want ≥ 2", n)
	}
}

func meshedDeploymentYAML(ns string) string {
	y := deploymentYAML(ns, "v1", 1)
	y = strings.Replace(y, "metadata: {labels: {app: reviews, version: v1}}", "metadata: {labels: {app: reviews, version: v1, security.istio.io/tlsMode: istio}}", 1)
	return strings.Replace(y, "    spec:\n      containers:", "    spec:\n      serviceAccountName: reviews\n      containers:", 1)
}

func strictYAML(ns string) string {
	return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: " + ns + "}\nspec: {mtls: {mode: STRICT}}\n"
}

// waitRootCert waits for weftd to publish the root bundle in the namespace
// and writes it to a file, as the injected ConfigMap volume would.
func waitRootCert(t *testing.T, env *kubeenv.Env, ns string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "root-cert.pem")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := env.Kubectl("get", "configmap", "istio-ca-root-cert", "-n", ns, "-o", `jsonpath={.data.root-cert\.pem}`)
		if err == nil && strings.Contains(out, "BEGIN CERTIFICATE") {
			must(t, os.WriteFile(path, []byte(out), 0o644))
			return path
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("istio-ca-root-cert was not published in %s within 30s", ns)
	return ""
}

type agentSpec struct {
	ns, sa, pod, ip, caAddr, xdsAddr, roots string
	// trustCheck is how often the agent re-reads roots (default 1 minute).
	trustCheck time.Duration
}

// startAgent runs weft-agent in-process with a token from the TokenRequest
// API for the service account, audience istio-ca.
func startAgent(ctx context.Context, t *testing.T, env *kubeenv.Env, s agentSpec) *agent.Agent {
	t.Helper()
	dir := t.TempDir()
	token := kubectl(t, env, "create", "token", s.sa, "-n", s.ns, "--audience", "istio-ca", "--duration", "1h")
	tokenPath := filepath.Join(dir, "istio-token")
	must(t, os.WriteFile(tokenPath, []byte(strings.TrimSpace(token)), 0o600))
	a, err := agent.New(agent.Options{
		Mode:     agent.ModeProxyless,
		Identity: bootstrap.Identity{PodName: s.pod, Namespace: s.ns, IP: s.ip, ServiceAccount: s.sa},
		CAAddr:   s.caAddr, CARoots: cert.FileTrustBundle(s.roots), TokenPath: tokenPath, TTL: workloadTTL,
		XDSAddr: s.xdsAddr, XDSPlaintext: true, OutputDir: filepath.Join(dir, "certs"), FileRefreshInterval: time.Second,
		Cert: cert.Options{TrustCheckInterval: s.trustCheck},
	})
	must(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	select {
	case <-a.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("agent for %s/%s got no certificate within 30s", s.ns, s.sa)
	}
	return a
}

type rotationCount struct{ server, client atomic.Int64 }

// watchRotations counts certificate generations the agents move through.
func watchRotations(ctx context.Context, server, client *agent.Agent) *rotationCount {
	rc := &rotationCount{}
	watch := func(a *agent.Agent, n *atomic.Int64) {
		last := a.Certificate().Generation
		for i := 0; i < 1200 && ctx.Err() == nil; i++ {
			if g := a.Certificate().Generation; g != last {
				last = g
				n.Add(1)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	go watch(server, &rc.server)
	go watch(client, &rc.client)
	return rc
}
