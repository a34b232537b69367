package ca

import (
	"fmt"
	"strings"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
)

// DefaultTrustDomain is Istio's default trust domain, so SPIFFE IDs match what
// existing AuthorizationPolicies and peers expect.
const DefaultTrustDomain = "cluster.local"

// Identity is a workload's Kubernetes identity: the service account it runs as.
type Identity struct {
	Namespace      string
	ServiceAccount string
}

// String returns "ns/sa", for logs and errors.
func (id Identity) String() string {
	return id.Namespace + "/" + id.ServiceAccount
}

// SPIFFEID returns spiffe://<td>/ns/<ns>/sa/<sa>, Istio's identity format.
func (id Identity) SPIFFEID(td spiffeid.TrustDomain) (spiffeid.ID, error) {
	if id.Namespace == "" || id.ServiceAccount == "" {
		return spiffeid.ID{}, fmt.Errorf("incomplete identity %q", id.String())
	}
	sid, err := spiffeid.FromSegments(td, "ns", id.Namespace, "sa", id.ServiceAccount)
	if err != nil {
		return spiffeid.ID{}, fmt.Errorf("identity %s: %w", id, err)
	}
	return sid, nil
}

// serviceAccountPrefix is how the API server names service-account users.
const serviceAccountPrefix = "system:serviceaccount:"

// IdentityFromUsername parses "system:serviceaccount:<ns>:<sa>", the username a
// TokenReview returns for a service-account token. Other users (people, nodes)
// are not workloads and get no certificate.
func IdentityFromUsername(username string) (Identity, error) {
	rest, ok := strings.CutPrefix(username, serviceAccountPrefix)
	if !ok {
		return Identity{}, fmt.Errorf("user %q is not a service account", username)
	}
	ns, sa, ok := strings.Cut(rest, ":")
	if !ok || ns == "" || sa == "" || strings.Contains(sa, ":") {
		return Identity{}, fmt.Errorf("malformed service-account username %q", username)
	}
	return Identity{Namespace: ns, ServiceAccount: sa}, nil
}
