package grpcapp

import (
	"context"
	"maps"
	"sync"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// Plaintext is the identity PeerIdentities reports for calls that came
// without a TLS client certificate.
const Plaintext = "plaintext"

// peerLog counts served calls by the caller's identity, so tests can see
// what the server authenticated rather than what the client meant to send.
type peerLog struct {
	mu sync.Mutex
	n  map[string]int64
}

func (l *peerLog) record(ctx context.Context) {
	id := PeerIdentity(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int64{}
	}
	l.n[id]++
}

func (l *peerLog) snapshot() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.n)
}

// PeerIdentity is the SPIFFE ID of the caller's verified TLS certificate
// (grpc-go's TLSInfo, which xDS credentials fill in), or Plaintext.
func PeerIdentity(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return Plaintext
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return Plaintext
	}
	if info.SPIFFEID != nil {
		return info.SPIFFEID.String()
	}
	return "tls-without-spiffe-id"
}

// PeerIdentities counts the calls the backend served by caller identity
// (a SPIFFE ID, or Plaintext).
func (b *Backend) PeerIdentities() map[string]int64 { return b.svc.peers.snapshot() }
