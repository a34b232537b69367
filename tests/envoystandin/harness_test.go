package envoystandin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/sds"
	"github.com/weftmesh/weft/agent/testca"
)

// serverName is the DNS SAN on the test ADS server's certificate.
const serverName = "weftd.weft-system.svc"

// testIdentity is the pod the stand-in plays.
var testIdentity = bootstrap.Identity{
	PodName: "reviews-v1-7d9f", Namespace: "default", IP: "10.244.1.2",
	ServiceAccount: "reviews", Labels: map[string]string{"app": "reviews", "version": "v1"},
}

// workloadID is what the test CA puts in the workload certificate.
const workloadID = "spiffe://cluster.local/ns/default/sa/reviews"

func testCA(t *testing.T) *testca.CA {
	t.Helper()
	ca, err := testca.New(testca.Options{Intermediate: true})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// sdsFixture is weft-agent's SDS server as the agent runs it.
type sdsFixture struct {
	socket string
	bundle *cert.Bundle
	srv    *sds.Server
}

// startSDS runs weft-agent's SDS server on a socket in a temporary
// directory, serving a workload certificate from ca.
func startSDS(t *testing.T, ca *testca.CA) sdsFixture {
	t.Helper()
	b, err := ca.IssueBundle(workloadID, 0)
	if err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(t.TempDir(), "sds.sock")
	lis, err := sds.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := sds.New(sds.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := srv.Update(b); err != nil {
		t.Fatal(err)
	}
	serve(t, func(ctx context.Context) error { return srv.Serve(ctx, lis) })
	return sdsFixture{socket: socket, bundle: b, srv: srv}
}

// serve runs fn until the test ends and checks it returned cleanly.
func serve(t *testing.T, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("server: %v", err)
		}
	})
}

// adsServer is a go-control-plane ADS server over mutual TLS that records
// every request as received and the TLS state of every stream.
type adsServer struct {
	addr  string
	cache cache.SnapshotCache

	mu    sync.Mutex
	reqs  []*discoveryv3.DiscoveryRequest
	peers []tls.ConnectionState
	// changed is closed and replaced on every request.
	changed chan struct{}
}

// startADS serves ADS with servingCert, requiring a client certificate
// from clientRoots; cb may refuse streams.
func startADS(t *testing.T, servingCert tls.Certificate, clientRoots *x509.CertPool, cb server.Callbacks) *adsServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startADSOn(t, lis, servingCert, clientRoots, cb)
}

// startADSOn is startADS on a given listener.
func startADSOn(t *testing.T, lis net.Listener, servingCert tls.Certificate, clientRoots *x509.CertPool, cb server.Callbacks) *adsServer {
	t.Helper()
	s := &adsServer{addr: lis.Addr().String(), cache: cache.NewSnapshotCache(true, cache.IDHash{}, nil), changed: make(chan struct{})}
	gs := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{servingCert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    clientRoots,
			MinVersion:   tls.VersionTLS12,
		})),
		grpc.StreamInterceptor(s.intercept),
	)
	if cb == nil {
		cb = server.CallbackFuncs{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, server.NewServer(ctx, s.cache, cb))
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(func() { cancel(); gs.Stop() })
	return s
}

// intercept records the connection's TLS state and wraps the stream to record
// requests before the server touches them.
func (s *adsServer) intercept(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if p, ok := peer.FromContext(ss.Context()); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			s.mu.Lock()
			s.peers = append(s.peers, info.State)
			s.mu.Unlock()
		}
	}
	return h(srv, &recordingStream{ServerStream: ss, s: s})
}

type recordingStream struct {
	grpc.ServerStream
	s *adsServer
}

func (r *recordingStream) RecvMsg(m any) error {
	err := r.ServerStream.RecvMsg(m)
	if req, ok := m.(*discoveryv3.DiscoveryRequest); ok && err == nil {
		r.s.mu.Lock()
		r.s.reqs = append(r.s.reqs, proto.Clone(req).(*discoveryv3.DiscoveryRequest))
		close(r.s.changed)
		r.s.changed = make(chan struct{})
		r.s.mu.Unlock()
	}
	return err
}

func (s *adsServer) requests() []*discoveryv3.DiscoveryRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*discoveryv3.DiscoveryRequest(nil), s.reqs...)
}

// waitRequest waits until some request received satisfies pred.
func (s *adsServer) waitRequest(ctx context.Context, pred func(*discoveryv3.DiscoveryRequest) bool) error {
	for {
		s.mu.Lock()
		reqs, changed := s.reqs, s.changed
		s.mu.Unlock()
		if slices.ContainsFunc(reqs, pred) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%w after %d requests", ctx.Err(), len(reqs))
		}
	}
}

// connections are the TLS states of the streams, as the server saw them.
func (s *adsServer) connections() []tls.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tls.ConnectionState(nil), s.peers...)
}

// setSnapshot publishes a snapshot for the stand-in's node.
func (s *adsServer) setSnapshot(t *testing.T, snap *cache.Snapshot) {
	t.Helper()
	if err := s.cache.SetSnapshot(context.Background(), testIdentity.NodeID(), snap); err != nil {
		t.Fatal(err)
	}
}

// writeBootstrap renders the bootstrap as weft-agent does and writes it.
func writeBootstrap(t *testing.T, xdsAddr, xdsServerName, sdsSocket string) string {
	t.Helper()
	data, err := bootstrap.Envoy(bootstrap.EnvoyOptions{
		Identity: testIdentity, XDSAddr: xdsAddr, XDSServerName: xdsServerName, SDSSocket: sdsSocket,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "envoy-rev.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func rootPool(ca *testca.CA) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, r := range ca.Roots() {
		pool.AddCert(r)
	}
	return pool
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startEnvoy starts the stand-in from a bootstrap file and closes it at the
// end of the test.
func startEnvoy(t *testing.T, path string) *Envoy {
	t.Helper()
	e, err := StartFromFile(timeout(t), path)
	if err != nil {
		t.Fatalf("start stand-in: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}
