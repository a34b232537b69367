package server

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
)

// Identity is the workload a stream authenticated as: the SPIFFE ID of its
// verified client certificate. The zero Identity is a plaintext stream,
// which only a loopback listener should accept (weftd's --xds-addr).
type Identity struct {
	SPIFFEID       string // spiffe://TD/ns/NS/sa/SA
	TrustDomain    string
	Namespace      string
	ServiceAccount string
}

// Authenticated reports whether the stream came with a verified certificate.
func (id Identity) Authenticated() bool { return id.SPIFFEID != "" }

func (id Identity) String() string {
	if !id.Authenticated() {
		return "unauthenticated (plaintext)"
	}
	return id.SPIFFEID
}

// peerIdentity reads the identity of a stream's peer. A TLS stream must
// carry a client certificate verified against the mesh roots (the TLS
// listener verifies it when given); a plaintext stream has none.
func peerIdentity(ctx context.Context) (Identity, error) {
	p, ok := peer.FromContext(ctx)
	if !ok || p.AuthInfo == nil {
		return Identity{}, nil
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return Identity{}, status.Errorf(codes.Unauthenticated, "xDS over %s is not accepted: use mutual TLS", p.AuthInfo.AuthType())
	}
	if len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return Identity{}, status.Error(codes.Unauthenticated, "xDS needs a client certificate from the mesh CA (none was presented)")
	}
	return identityFromChain(info)
}

func identityFromChain(info credentials.TLSInfo) (Identity, error) {
	id, err := x509svid.IDFromCert(info.State.VerifiedChains[0][0])
	if err != nil {
		return Identity{}, status.Errorf(codes.Unauthenticated, "client certificate: %v", err)
	}
	segs := strings.Split(strings.TrimPrefix(id.Path(), "/"), "/")
	if len(segs) != 4 || segs[0] != "ns" || segs[2] != "sa" {
		return Identity{}, status.Errorf(codes.Unauthenticated, "client certificate %s is not a workload identity (spiffe://TD/ns/NS/sa/SA)", id)
	}
	return Identity{SPIFFEID: id.String(), TrustDomain: id.TrustDomain().Name(), Namespace: segs[1], ServiceAccount: segs[3]}, nil
}

// authorize checks that what a proxy claims about itself matches its
// certificate: trust domain, the namespace in its node id and metadata, its
// service account, and the pod it names when the mesh knows that pod.
func (s *Server) authorize(p *xds.Proxy, id Identity) error {
	if !id.Authenticated() {
		return nil
	}
	var wls mesh.Workloads
	if m := s.current.Load(); m != nil {
		wls = m.Workloads
	}
	if reason := mismatch(p, id, wls, s.trustDomains); reason != "" {
		s.metrics.identityRejections.WithLabelValues(reason).Inc()
		s.log.Warn("refusing xDS stream: node does not match its certificate", "proxy", p.ID, "identity", id.SPIFFEID, "reason", reason)
		return status.Errorf(codes.PermissionDenied, "node %q claims %s/%s but its certificate is %s (%s)",
			p.ID, p.Namespace, orUnset(p.ServiceAccount), id.SPIFFEID, reason)
	}
	return nil
}

// mismatch names the first claim the identity contradicts, "" if none.
func mismatch(p *xds.Proxy, id Identity, wls mesh.Workloads, trustDomains []string) string {
	switch {
	case !slices.Contains(trustDomains, id.TrustDomain):
		return "trust_domain"
	case p.Namespace != id.Namespace || (p.IDNamespace != "" && p.IDNamespace != id.Namespace):
		return "namespace"
	case p.ServiceAccount != "" && p.ServiceAccount != id.ServiceAccount:
		return "service_account"
	}
	if wl := wls.Find(p.Namespace, p.Pod, p.IP); wl != nil && !workloadMatches(wl, id) {
		return "pod"
	}
	return ""
}

// workloadMatches: a pod's own namespace and service account are what the
// cluster vouches for, so they must be the certificate's.
func workloadMatches(wl *mesh.Workload, id Identity) bool {
	return wl.Namespace == id.Namespace && (wl.ServiceAccount == "" || wl.ServiceAccount == id.ServiceAccount)
}

func orUnset(s string) string {
	if s == "" {
		return "(no service account)"
	}
	return s
}

// errNodeHeld refuses a stream whose node id another identity holds: proxy
// state belongs to the identity that authenticated it.
func errNodeHeld(nodeID string, holder, caller Identity) error {
	return status.Error(codes.PermissionDenied, fmt.Sprintf("node %q is connected as %s; refusing it to %s", nodeID, holder, caller))
}
