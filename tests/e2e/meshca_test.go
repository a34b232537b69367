package e2e

import (
	"context"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/weftmesh/weft/agent"
	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/ca/catest"
)

// meshCA is weft's CA (package ca, the server weftd runs) on 127.0.0.1,
// signing with the root of a plug-in CA directory that weftd is started
// with too. File mode has no TokenReview, so callers are known by static
// tokens; workloads get certificates from it through weft-agent, over
// the same CA API and the same files as in production.
type meshCA struct {
	dir   string // plug-in CA directory, for weftd --ca-plugin-dir
	addr  string
	roots []*x509.Certificate
}

func startMeshCA(t *testing.T, ids ...ca.Identity) *meshCA {
	t.Helper()
	dir := t.TempDir()
	_, err := catest.New(dir, "cluster.local")
	must(t, err)
	tokens := ca.StaticTokens{}
	for _, id := range ids {
		tokens[tokenOf(id)] = id
	}
	s, err := ca.New(context.Background(), ca.Options{PluginCertDir: dir, Authenticator: tokens,
		ServingIPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	must(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	g := grpc.NewServer(s.GRPCServerOptions()...)
	s.Register(g)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	roots, err := cert.ParsePEMCertificates(s.RootBundle())
	must(t, err)
	return &meshCA{dir: dir, addr: lis.Addr().String(), roots: roots}
}

func tokenOf(id ca.Identity) string { return "token-" + id.Namespace + "-" + id.ServiceAccount }

// agent runs weft-agent (proxyless mode) for id until the test ends; its
// bootstrap points at weftd's plaintext ADS port.
func (m *meshCA) agent(ctx context.Context, t *testing.T, id bootstrap.Identity, xdsAddr string) *agent.Agent {
	t.Helper()
	dir := t.TempDir()
	tokenPath := filepath.Join(dir, "istio-token")
	must(t, os.WriteFile(tokenPath, []byte(tokenOf(ca.Identity{Namespace: id.Namespace, ServiceAccount: id.ServiceAccount})), 0o600))
	a, err := agent.New(agent.Options{
		Mode: agent.ModeProxyless, Identity: id,
		CAAddr: m.addr, CARoots: cert.StaticTrustBundle(m.roots...), TokenPath: tokenPath,
		XDSAddr: xdsAddr, XDSPlaintext: true, OutputDir: filepath.Join(dir, "certs"),
	})
	must(t, err)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	select {
	case <-a.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("agent for %s/%s got no certificate within 30s", id.Namespace, id.ServiceAccount)
	}
	return a
}
