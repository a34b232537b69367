package server

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/xds/share"
)

// SDS over ADS, as istiod serves a DestinationRule's credentialName: a
// proxy asks for kubernetes://NAME (or kubernetes://NAME-cacert, its CA)
// and gets the Secret NAME of its own namespace. The namespace and service
// account are the stream's verified certificate's, never what the proxy
// claims; a plaintext stream gets no secrets, and a key only goes to a
// workload the source authorizes.

// SecretSource holds the Kubernetes Secrets weftd may serve.
type SecretSource interface {
	// Secret returns the data of namespace/name, false if there is none.
	Secret(namespace, name string) (map[string][]byte, bool)
	// Authorize reports whether the workload namespace/serviceAccount may
	// have key material of its namespace's Secrets (istiod: a
	// SubjectAccessReview to list them); CA certificates need no check.
	Authorize(namespace, serviceAccount string) error
}

// secretStore is the server's source, swapped in once at start.
type secretStore struct {
	mu  sync.RWMutex
	src SecretSource
}

func (s *secretStore) get() SecretSource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.src
}

// SetSecrets makes src the Secrets served over SDS (Kubernetes mode).
func (s *Server) SetSecrets(src SecretSource) {
	s.secrets.mu.Lock()
	s.secrets.src = src
	s.secrets.mu.Unlock()
	s.SecretsChanged()
}

// SecretsChanged queues a push for every proxy that asked for secrets.
func (s *Server) SecretsChanged() {
	for _, ps := range s.connected() {
		if len(ps.secretNames()) > 0 {
			s.queue.add(ps, laneChange)
		}
	}
}

// addSecrets remembers requested secret names; true if any is new.
func (ps *proxyState) addSecrets(names []string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	added := false
	for _, n := range names {
		if !ps.secrets[n] {
			ps.secrets[n] = true
			added = true
		}
	}
	return added
}

func (ps *proxyState) secretNames() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return slices.Sorted(maps.Keys(ps.secrets))
}

// secretPart is the proxy's secrets, or nil when it asked for none. It is
// built per proxy and never kept in its debug resources (it holds keys).
func (s *Server) secretPart(ps *proxyState) *share.Part {
	names := ps.secretNames()
	if len(names) == 0 {
		return nil
	}
	src := s.secrets.get()
	var out []types.Resource
	for _, name := range names {
		if sec := s.secretFor(ps, src, name); sec != nil {
			out = append(out, sec)
		}
	}
	return share.NewPart(resource.SecretType, out, nil)
}

// secretFor resolves one requested name for the proxy, nil when it may
// not have it or it does not exist (Envoy keeps waiting, as with istiod).
func (s *Server) secretFor(ps *proxyState, src SecretSource, name string) types.Resource {
	ref, ok := parseSecretName(name, ps.identity)
	switch {
	case !ok:
		return nil
	case src == nil || !ps.identity.Authenticated():
		s.log.Warn("SDS: secret not served: no verified identity or no secret source", "proxy", ps.Proxy().ID, "secret", name)
		return nil
	case ref.namespace != ps.identity.Namespace:
		s.metrics.identityRejections.WithLabelValues("secret_namespace").Inc()
		s.log.Warn("SDS: refusing a Secret of another namespace", "proxy", ps.Proxy().ID, "identity", ps.identity, "secret", name)
		return nil
	case !ref.caOnly:
		if err := src.Authorize(ps.identity.Namespace, ps.identity.ServiceAccount); err != nil {
			s.metrics.identityRejections.WithLabelValues("secret_authorization").Inc()
			s.log.Warn("SDS: refusing a key the workload may not read itself", "proxy", ps.Proxy().ID, "secret", name, "error", err)
			return nil
		}
	}
	sec, err := envoySecret(name, ref, src)
	if err != nil {
		s.log.Warn("SDS: secret not served", "proxy", ps.Proxy().ID, "secret", name, "error", err)
		return nil
	}
	return sec
}

// secretRef is a kubernetes:// resource name resolved for a proxy.
type secretRef struct {
	namespace, name string
	caOnly          bool // NAME-cacert: the CA part only
}

// caSuffix marks the CA resource of a credential, as istiod names it.
const caSuffix = "-cacert"

// parseSecretName reads kubernetes://NAME and kubernetes://NS/NAME; NAME
// defaults to the proxy's namespace, as in istiod.
func parseSecretName(name string, id Identity) (secretRef, bool) {
	rest, ok := strings.CutPrefix(name, "kubernetes://")
	if !ok || rest == "" {
		return secretRef{}, false
	}
	ref := secretRef{namespace: id.Namespace, name: rest}
	if ns, n, found := strings.Cut(rest, "/"); found {
		ref.namespace, ref.name = ns, n
	}
	ref.caOnly = strings.HasSuffix(ref.name, caSuffix)
	return ref, ref.name != "" && !strings.Contains(ref.name, "/")
}
