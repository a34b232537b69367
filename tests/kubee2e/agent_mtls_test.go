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
	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/kubeenv"
)

const workloadTTL = 20 * time.Second

// weft-agent gets each workload a certificate for its own identity from
// weftd's CA (authenticated by a real service-account token), and rotates
// it while a proxyless client calls a proxyless server over mutual TLS
// with no failed RPC.
func TestAgentRotatesCertificatesUnderTraffic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	m := startMTLSPair(ctx, t, mtlsPairOptions{ipPrefix: "10.244.6."})
	server, client, c := m.server, m.client, m.rpc
	want := "spiffe://cluster.local/ns/" + m.ns + "/sa/reviews"
	if uris := server.Certificate().Leaf.URIs; len(uris) != 1 || uris[0].String() != want {
		t.Fatalf("workload certificate URI SANs %v, want [%s]", uris, want)
	}

	rotations := watchRotations(ctx, server, client)
	total, failed, errs := 0, 0, []string(nil)
	// Steady traffic until the server certificate has rotated twice.
	for rotations.server.Load() < 2 && ctx.Err() == nil {
		res := c.Run(ctx, grpcapp.RunOptions{N: 100, Rate: 50, Concurrency: 4, PerCallTimeout: 2 * time.Second})
		total, failed = total+res.Total, failed+res.Failed()
		errs = append(errs, res.Errors[:min(len(res.Errors), 10-min(len(errs), 10))]...) // a sample, as Run keeps
	}
	t.Logf("%d RPCs; server certificate generations seen: %d, client: %d", total, rotations.server.Load(), rotations.client.Load())
	if n := rotations.server.Load(); n < 2 {
		t.Fatalf("server certificate rotated %d times before the deadline, want ≥ 2", n)
	}
	if failed != 0 {
		t.Errorf("%d of %d RPCs failed during certificate rotation: %v", failed, total, errs)
	}
}

// mtlsPair is weftd (Kubernetes mode, CA) with a STRICT namespace, a meshed
// reviews pod served by a proxyless backend and a proxyless client, each
// with certificates from its own in-process weft-agent.
type mtlsPair struct {
	env            *kubeenv.Env
	ns, pod, roots string
	server, client *agent.Agent
	rpc            *grpcapp.Client
}

type mtlsPairOptions struct {
	ipPrefix   string        // pod and client IPs, e.g. "10.244.6."
	weftdArgs  []string      // extra weftd flags
	trustCheck time.Duration // agents' root re-read interval
	mirror     bool          // keep the agents' root file equal to the ConfigMap
}

func startMTLSPair(ctx context.Context, t *testing.T, o mtlsPairOptions) *mtlsPair {
	t.Helper()
	env := sharedEnv(t)
	m := &mtlsPair{env: env, ns: env.Namespace(t)}
	kubectl(t, env, "create", "serviceaccount", "reviews", "-n", m.ns)
	kubectl(t, env, "create", "serviceaccount", "productpage", "-n", m.ns)
	apply(t, env, meshedDeploymentYAML(m.ns)+"---\n"+strictYAML(m.ns))
	w := startWeftd(t, env, append([]string{"--leader-elect=false", "--namespace=" + m.ns}, o.weftdArgs...)...)
	m.pod = env.WaitRunPods(t, m.ns, "app=reviews", 1, kubeenv.SequentialIPs(o.ipPrefix, 2))[0]
	podIP := kubectl(t, env, "get", "pod", m.pod, "-n", m.ns, "-o", "jsonpath={.status.podIP}")
	m.roots = waitRootCert(t, env, m.ns)
	if o.mirror {
		go mirrorRootConfigMap(ctx, env, m.ns, m.roots) // what kubelet does for the mounted ConfigMap
	}
	spec := agentSpec{ns: m.ns, caAddr: w.SecureAddr, xdsAddr: w.SecureAddr, roots: m.roots, trustCheck: o.trustCheck}
	spec.sa, spec.pod, spec.ip = "reviews", m.pod, podIP
	m.server = startAgent(ctx, t, env, spec)
	clientIP := o.ipPrefix + "200"
	spec.sa, spec.pod, spec.ip = "productpage", "productpage", clientIP
	m.client = startAgent(ctx, t, env, spec)

	// The applications read the bootstraps their agents wrote: ADS over
	// mutual TLS on weftd's secure port with the workload certificate.
	b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{Name: m.pod, Addr: podIP + ":9080", Bootstrap: []byte(readFile(t, m.server.GRPCBootstrapPath())),
		CertDir: filepath.Dir(m.server.CertPaths().Key), Logf: t.Logf})
	must(t, err)
	t.Cleanup(b.Stop)
	must(t, grpcapp.WaitServing(ctx, b))
	m.rpc, err = grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: "reviews." + m.ns + ".svc.cluster.local:9080",
		Bootstrap: []byte(readFile(t, m.client.GRPCBootstrapPath())), CertDir: filepath.Dir(m.client.CertPaths().Key)})
	must(t, err)
	t.Cleanup(func() { m.rpc.Close() })
	_, err = grpcapp.WaitFor(ctx, m.rpc, grpcapp.AllOn(m.pod))
	must(t, err)
	return m
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
	// serverName is the name weftd's certificate is checked for (default:
	// the host of caAddr).
	serverName string
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
		CAAddr:   s.caAddr, CAServerName: s.serverName, CARoots: cert.FileTrustBundle(s.roots), TokenPath: tokenPath, TTL: workloadTTL,
		XDSAddr: s.xdsAddr, OutputDir: filepath.Join(dir, "certs"), FileRefreshInterval: time.Second,
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
		for ctx.Err() == nil {
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
