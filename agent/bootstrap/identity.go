// Package bootstrap renders the files a proxy starts from: the grpc-go xDS
// bootstrap for proxyless applications and the Envoy bootstrap for sidecars.
// Both identify the proxy the way Istio's agent does, which is what weftd
// reads (pilot/xds.ParseNode).
package bootstrap

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/weftmesh/weft/contract"
)

// Names shared with weftd's generated config (pilot/xds/build): the SDS
// cluster, the two secrets, and the certificate provider instance. Package
// contract owns them; these names stay for the agent's callers.
const (
	SDSCluster             = contract.SDSCluster
	XDSCluster             = contract.XDSCluster
	SecretWorkload         = contract.SecretWorkload
	SecretRootCA           = contract.SecretRootCA
	CertProviderInstance   = contract.CertProviderInstance
	ServerListenerTemplate = contract.ServerListenerTemplate
)

// Identity is the pod a proxy runs for.
type Identity struct {
	PodName        string
	Namespace      string
	IP             string
	ServiceAccount string
	Labels         map[string]string
	// DNSDomain ends the node id (default "cluster.local").
	DNSDomain string
	// TrustDomain is the SPIFFE trust domain (default "cluster.local").
	TrustDomain string
}

// WithDefaults fills DNSDomain, TrustDomain, ServiceAccount ("default") and
// Labels.
func (id Identity) WithDefaults() Identity {
	if id.DNSDomain == "" {
		id.DNSDomain = "cluster.local"
	}
	if id.TrustDomain == "" {
		id.TrustDomain = "cluster.local"
	}
	if id.ServiceAccount == "" {
		id.ServiceAccount = "default"
	}
	if id.Labels == nil {
		id.Labels = map[string]string{}
	}
	return id
}

// Validate reports what a node id cannot do without.
func (id Identity) Validate() error {
	var errs []error
	if id.PodName == "" {
		errs = append(errs, errors.New("pod name is empty ("+contract.EnvPodName+")"))
	}
	if id.Namespace == "" {
		errs = append(errs, errors.New("namespace is empty ("+contract.EnvPodNamespace+")"))
	}
	if net.ParseIP(id.IP) == nil {
		errs = append(errs, fmt.Errorf("instance IP %q is not an IP address (%s)", id.IP, contract.EnvInstanceIP))
	}
	for _, s := range []string{id.PodName, id.Namespace, id.IP} {
		if strings.Contains(s, "~") {
			errs = append(errs, fmt.Errorf("%q: '~' separates node id fields", s))
		}
	}
	return errors.Join(errs...)
}

// NodeID is Istio's sidecar~IP~POD.NS~NS.svc.DOMAIN.
func (id Identity) NodeID() string {
	id = id.WithDefaults()
	return fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.%s", id.IP, id.PodName, id.Namespace, id.Namespace, id.DNSDomain)
}

// SPIFFEID is the identity weft's CA issues for the service account.
func (id Identity) SPIFFEID() string {
	id = id.WithDefaults()
	return fmt.Sprintf("spiffe://%s/ns/%s/sa/%s", id.TrustDomain, id.Namespace, id.ServiceAccount)
}

// ServiceCluster is Envoy's node.cluster: the app label (or pod name) and
// namespace, as Istio sets it.
func (id Identity) ServiceCluster() string {
	name := id.Labels["app"]
	if name == "" {
		name = id.PodName
	}
	return name + "." + id.Namespace
}

// metadata is the node metadata weftd reads.
func (id Identity) metadata() map[string]any {
	id = id.WithDefaults()
	labels := make(map[string]any, len(id.Labels))
	for k, v := range id.Labels {
		labels[k] = v
	}
	return map[string]any{
		contract.MetaNamespace:      id.Namespace,
		contract.MetaLabels:         labels,
		contract.MetaServiceAccount: id.ServiceAccount,
		contract.MetaInstanceIPs:    id.IP,
		contract.MetaPodName:        id.PodName,
	}
}
