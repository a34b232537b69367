package server

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/genproto/googleapis/rpc/status"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

const nackLine = "proxy rejected config (NACK)"

// A client repeating the NACK of one response is logged once; the metric
// counts every NACK.
func TestRepeatedNackIsLoggedOnce(t *testing.T) {
	var logs lockedBuffer
	f := startWith(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s, got := openSotW(t, f)
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.ClusterType})
	first := next(t, got)
	const n = 500
	for range n {
		s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: "", ResponseNonce: first.Nonce,
			ErrorDetail: &status.Status{Message: "rejected " + strings.Repeat("x", 4096)}})
	}
	waitStatus(t, f.srv, func(st ProxyStatus) bool { return st.Nacks == n })
	if c := logs.count(nackLine); c != 1 {
		t.Fatalf("%d NACK lines for %d repeats of one NACK, want 1", c, n)
	}
	if c := logs.count(strings.Repeat("x", maxLoggedNack+1)); c != 0 {
		t.Errorf("the client's error text was logged beyond %d bytes", maxLoggedNack)
	}
	if m := testutil.ToFloat64(f.srv.metrics.nacks.WithLabelValues("Cluster")); m != n {
		t.Errorf("weft_xds_nacks_total{type=Cluster} = %v, want %d", m, n)
	}
}

// NACKs with ever new nonces (delta lets a client name any) are logged at
// most at the rate limit: a burst, then nackLogRate a second.
func TestNackLinesAreRateLimited(t *testing.T) {
	var logs lockedBuffer
	f := startWith(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s, got := openDelta(t, f)
	s.Send(&discovery.DeltaDiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.ClusterType})
	next(t, got)
	const n = 2000
	began := time.Now()
	for i := range n {
		s.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType, ResponseNonce: "n" + strconv.Itoa(i),
			ErrorDetail: &status.Status{Message: "rejected"}})
	}
	waitStatus(t, f.srv, func(st ProxyStatus) bool { return st.Nacks == n })
	limit := nackLogBurst + int(time.Since(began).Seconds()*nackLogRate) + 1
	if c := logs.count(nackLine); c < 1 || c > limit {
		t.Fatalf("%d NACK lines for %d distinct NACKs, want between 1 and %d (burst + rate × elapsed)", c, n, limit)
	}
}
