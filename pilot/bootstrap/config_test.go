package bootstrap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/ca/catest"
	"github.com/weftmesh/weft/ca/pb"
	"github.com/weftmesh/weft/contract"
)

const serviceYAML = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {ports: [{name: grpc, port: 9080}]}
`

// freeAddr is a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

// fileConfig is file mode on one Service, every server on its own port.
func fileConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reviews.yaml"), []byte(serviceYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return Config{
		ConfigDir: dir, Namespace: contract.DefaultNamespace,
		XDSAddr: freeAddr(t), HealthAddr: freeAddr(t), SecureAddr: freeAddr(t),
		Debounce: DebounceOptions{Quiet: 10 * time.Millisecond, Max: 100 * time.Millisecond},
		CA:       CAConfig{TrustDomain: "cluster.local", Sync: time.Minute},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// run starts weftd with c and stops it when the test ends.
func run(t *testing.T, c Config) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunConfig(ctx, c) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("weftd: %v", err)
		}
	})
}

// waitHTTP polls url until it answers want (bounded).
func waitHTTP(t *testing.T, url string, want int) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		resp.Body.Close()
		if last = resp.Status; resp.StatusCode == want {
			return
		}
	}
	t.Fatalf("GET %s: %s, want %d", url, last, want)
}

// dial connects to addr; the connection closes when the test ends.
func dial(t *testing.T, addr string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// listen asks for the listener of reviews:9080 as proxyless client "c"
// of namespace default and returns the listeners received or the error.
var listenCalls atomic.Int64

func listen(t *testing.T, addr string, creds credentials.TransportCredentials) (int, error) {
	t.Helper()
	conn := dial(t, addr, creds)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return 0, err
	}
	md, _ := structpb.NewStruct(map[string]any{"GENERATOR": "grpc", "NAMESPACE": "default", "SERVICE_ACCOUNT": "reviews"})
	// A node id per call: the server may not yet have seen the previous
	// call's stream end, and would refuse its id to another identity.
	id := fmt.Sprintf("sidecar~127.0.0.7~c%d.default~default.svc.cluster.local", listenCalls.Add(1))
	_ = s.Send(&discovery.DiscoveryRequest{Node: &core.Node{Id: id, Metadata: md},
		TypeUrl: resource.ListenerType, ResourceNames: []string{"reviews.default.svc.cluster.local:9080"}})
	resp, err := s.Recv()
	if err != nil {
		return 0, err
	}
	return len(resp.GetResources()), nil
}

// File mode with a plug-in CA: the secure port serves ADS over mutual TLS
// to workloads of that CA (and not to callers without a certificate),
// serves no CA API (there is no token review), the plaintext port still
// serves loopback tools, and the health port answers only /ready and
// /healthz, ready once a mesh is served.
func TestFileModeWithPluginCAServesSecureADS(t *testing.T) {
	c := fileConfig(t)
	mesh, err := catest.New(t.TempDir(), "cluster.local")
	if err != nil {
		t.Fatal(err)
	}
	c.CA.PluginDir = mesh.Dir
	run(t, c)
	waitHTTP(t, "http://"+c.HealthAddr+"/ready", http.StatusOK)
	waitHTTP(t, "http://"+c.HealthAddr+"/healthz", http.StatusOK)
	waitHTTP(t, "http://"+c.HealthAddr+"/debug/syncz", http.StatusNotFound)

	cert, err := mesh.Workload("default", "reviews")
	if err != nil {
		t.Fatal(err)
	}
	server := contract.ControlPlaneHost(c.Namespace)
	if n, err := listen(t, c.SecureAddr, credentials.NewTLS(mesh.ClientTLS(&cert, server))); err != nil || n != 1 {
		t.Fatalf("workload over mutual TLS: %d listeners, %v; want 1", n, err)
	}
	if _, err := listen(t, c.SecureAddr, credentials.NewTLS(mesh.ClientTLS(nil, server))); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("no client certificate: %v, want Unauthenticated", err)
	}
	if n, err := listen(t, c.XDSAddr, insecure.NewCredentials()); err != nil || n != 1 {
		t.Fatalf("plaintext port: %d listeners, %v; want 1", n, err)
	}
	requireNoCAAPI(t, c.SecureAddr, credentials.NewTLS(mesh.ClientTLS(&cert, server)))
}

func requireNoCAAPI(t *testing.T, addr string, creds credentials.TransportCredentials) {
	t.Helper()
	conn := dial(t, addr, creds)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pb.NewIstioCertificateServiceClient(conn).CreateCertificate(ctx, &pb.IstioCertificateRequest{Csr: "x"})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("CA API in file mode: %v, want Unimplemented", err)
	}
}

// Without a plug-in CA, file mode has nothing to verify proxies with, so
// the secure port stays closed rather than serving unverifiable TLS.
func TestFileModeWithoutCAKeepsSecurePortClosed(t *testing.T) {
	c := fileConfig(t)
	run(t, c)
	waitHTTP(t, "http://"+c.HealthAddr+"/ready", http.StatusOK)
	conn, err := tls.Dial("tcp", c.SecureAddr, &tls.Config{InsecureSkipVerify: true}) // #nosec: only probing for a listener
	if err == nil {
		conn.Close()
		t.Fatalf("something serves TLS on %s", c.SecureAddr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", c.SecureAddr, err)
	}
}

// A port that is taken fails the start, naming the listener.
func TestTakenPortFailsStart(t *testing.T) {
	c := fileConfig(t)
	taken, err := net.Listen("tcp", c.HealthAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	err = RunConfig(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "health listener") {
		t.Fatalf("RunConfig with %s taken: %v, want a health listener error", c.HealthAddr, err)
	}
}
