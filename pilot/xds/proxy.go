// Package xds holds what the per-proxy generators share: who the proxy is,
// the resource set they produce, and the checks every resource must pass.
package xds

import (
	"fmt"
	"strings"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Kind distinguishes an Envoy sidecar from a proxyless gRPC application.
type Kind string

const (
	KindSidecar   Kind = "sidecar"
	KindProxyless Kind = contract.GeneratorGRPC
)

// Proxy is a connected xDS client as weft understands it.
type Proxy struct {
	ID        string
	Kind      Kind
	IP        string
	Pod       string
	Namespace string
	// IDNamespace is the namespace in the node id; Namespace is metadata
	// NAMESPACE when set, which an authenticated proxy must agree with.
	IDNamespace    string
	Labels         map[string]string
	ServiceAccount string
	DNSDomain      string
	// CertProviders are the certificate provider instances a proxyless
	// bootstrap declares (metadata CERT_PROVIDERS, comma-separated); grpc-go
	// rejects TLS config naming an instance its bootstrap lacks.
	CertProviders []string
	// Locality is where the proxy runs ("region/zone/subzone"): its pod's
	// (labels, then Node) when known, else the node locality it sent.
	Locality string
	// NodeName is the Kubernetes Node it runs on: its pod's, else metadata NODE_NAME.
	NodeName string
}

// HasCertProvider reports whether the proxy declared the named provider.
func (p *Proxy) HasCertProvider(name string) bool {
	for _, n := range p.CertProviders {
		if n == name {
			return true
		}
	}
	return false
}

// ParseNode reads Istio's node conventions: id
// "sidecar~IP~POD.NS~NS.svc.cluster.local" and metadata NAMESPACE, LABELS,
// SERVICE_ACCOUNT, GENERATOR ("grpc" marks a proxyless client).
func ParseNode(node *core.Node) (*Proxy, error) {
	if node == nil || node.GetId() == "" {
		return nil, fmt.Errorf("node id is empty")
	}
	if err := checkNode(node); err != nil {
		return nil, err
	}
	p := &Proxy{ID: node.GetId(), Kind: KindSidecar, Labels: map[string]string{}}
	parts := strings.Split(p.ID, "~")
	if len(parts) == 4 {
		p.IP = parts[1]
		p.Pod, p.Namespace, _ = strings.Cut(parts[2], ".")
		p.IDNamespace = p.Namespace
		p.DNSDomain = parts[3]
	}
	readMetadata(p, node.GetMetadata())
	p.Locality = nodeLocality(p.Labels, node.GetLocality())
	p.NodeName = node.GetMetadata().GetFields()[metaNodeName].GetStringValue()
	if p.Namespace == "" {
		return nil, fmt.Errorf("node %q: namespace unknown: use id sidecar~IP~POD.NS~NS.svc.cluster.local or metadata NAMESPACE", p.ID)
	}
	if p.DNSDomain == "" {
		p.DNSDomain = p.Namespace + ".svc.cluster.local"
	}
	return p, nil
}

func readMetadata(p *Proxy, md *structpb.Struct) {
	f := md.GetFields()
	if ns := f[contract.MetaNamespace].GetStringValue(); ns != "" {
		p.Namespace = ns
	}
	if sa := f[contract.MetaServiceAccount].GetStringValue(); sa != "" {
		p.ServiceAccount = sa
	}
	if ip := f[contract.MetaInstanceIPs].GetStringValue(); ip != "" && p.IP == "" {
		p.IP = strings.Split(ip, ",")[0]
	}
	for _, n := range strings.Split(f[contract.MetaCertProviders].GetStringValue(), ",") {
		if n = strings.TrimSpace(n); n != "" {
			p.CertProviders = append(p.CertProviders, n)
		}
	}
	if f[contract.MetaGenerator].GetStringValue() == contract.GeneratorGRPC {
		p.Kind = KindProxyless
	}
	for k, v := range f[contract.MetaLabels].GetStructValue().GetFields() {
		p.Labels[k] = v.GetStringValue()
	}
}

// WithWorkload returns p with namespace, labels and service account taken
// from its pod when the control plane knows the pod: a proxy's own
// metadata is only a fallback, since the pod is what the cluster vouches for.
func (p *Proxy) WithWorkload(w mesh.Workloads) *Proxy {
	wl := w.Find(p.Namespace, p.Pod, p.IP)
	if wl == nil {
		return p
	}
	cp := *p
	cp.Namespace, cp.Labels = wl.Namespace, wl.Labels
	if wl.ServiceAccount != "" {
		cp.ServiceAccount = wl.ServiceAccount
	}
	if cp.IP == "" {
		cp.IP = wl.IP
	}
	if wl.Locality != "" {
		cp.Locality = wl.Locality
	}
	if wl.NodeName != "" {
		cp.NodeName = wl.NodeName
	}
	return &cp
}
