package grpcapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ServerListenerTemplate is the server Listener name template weftd serves,
// matching istiod's, with %s replaced by the server's "IP:PORT".
const ServerListenerTemplate = "xds.istio.io/grpc/lds/inbound/%s"

// BootstrapOptions describe one proxyless proxy's identity and its control plane.
type BootstrapOptions struct {
	XDSAddr        string            // host:port of the plaintext ADS server (loopback)
	NodeID         string            // optional; derived from IP, PodName and Namespace when empty
	PodName        string            // used to derive NodeID
	Namespace      string            // NAMESPACE metadata; defaults to "default"
	IP             string            // used to derive NodeID; defaults to 127.0.0.1
	Labels         map[string]string // LABELS metadata
	ServiceAccount string            // SERVICE_ACCOUNT metadata; defaults to "default"
	// CertDir, if set, holds cert-chain.pem, key.pem and root-cert.pem (as
	// weft-agent writes them); the bootstrap then declares the file_watcher
	// certificate provider "default" that weftd's TLS config refers to.
	CertDir string
	// Locality is the node locality the bootstrap declares,
	// "region/zone/subzone"; weftd uses it when no pod places the proxy.
	Locality string
}

// bootstrapJSON mirrors the subset of the grpc-go bootstrap format we emit.
type bootstrapJSON struct {
	XDSServers                         []xdsServerJSON         `json:"xds_servers"`
	Node                               nodeJSON                `json:"node"`
	ServerListenerResourceNameTemplate string                  `json:"server_listener_resource_name_template"`
	CertificateProviders               map[string]providerJSON `json:"certificate_providers,omitempty"`
}

type providerJSON struct {
	PluginName string            `json:"plugin_name"`
	Config     map[string]string `json:"config"`
}

// fileWatcher points grpc-go's file_watcher provider at a certificate dir.
func fileWatcher(dir string) map[string]providerJSON {
	return map[string]providerJSON{"default": {PluginName: "file_watcher", Config: map[string]string{
		"certificate_file":    filepath.Join(dir, "cert-chain.pem"),
		"private_key_file":    filepath.Join(dir, "key.pem"),
		"ca_certificate_file": filepath.Join(dir, "root-cert.pem"),
		"refresh_interval":    "1s",
	}}}
}

type xdsServerJSON struct {
	ServerURI      string            `json:"server_uri"`
	ChannelCreds   []channelCredJSON `json:"channel_creds"`
	ServerFeatures []string          `json:"server_features"`
}

type channelCredJSON struct {
	Type string `json:"type"`
}

type nodeJSON struct {
	ID       string        `json:"id"`
	Metadata nodeMetadata  `json:"metadata"`
	Locality *localityJSON `json:"locality,omitempty"`
}

// localityJSON is the bootstrap node's locality (core.Locality's JSON names).
type localityJSON struct {
	Region  string `json:"region,omitempty"`
	Zone    string `json:"zone,omitempty"`
	SubZone string `json:"sub_zone,omitempty"`
}

// nodeLocality splits "region/zone/subzone"; nil when empty.
func nodeLocality(s string) *localityJSON {
	if s == "" {
		return nil
	}
	parts := append(strings.SplitN(s, "/", 3), "", "")
	return &localityJSON{Region: parts[0], Zone: parts[1], SubZone: parts[2]}
}

type nodeMetadata struct {
	Namespace      string            `json:"NAMESPACE"`
	Labels         map[string]string `json:"LABELS"`
	ServiceAccount string            `json:"SERVICE_ACCOUNT"`
	Generator      string            `json:"GENERATOR"`
	CertProviders  string            `json:"CERT_PROVIDERS,omitempty"`
}

// withDefaults fills the fields a proxy identity cannot do without.
func (o BootstrapOptions) withDefaults() BootstrapOptions {
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = "default"
	}
	if o.Labels == nil {
		o.Labels = map[string]string{}
	}
	if o.NodeID == "" {
		o.NodeID = NodeID(o.IP, o.PodName, o.Namespace)
	}
	return o
}

// NodeID returns an Istio-style sidecar node id: sidecar~IP~POD.NS~NS.svc.cluster.local.
func NodeID(ip, pod, namespace string) string {
	return fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", ip, pod, namespace, namespace)
}

// Bootstrap renders the grpc-go xDS bootstrap JSON for one proxyless proxy.
func Bootstrap(opts BootstrapOptions) ([]byte, error) {
	if opts.XDSAddr == "" {
		return nil, errors.New("bootstrap: XDSAddr is required")
	}
	if err := requireLoopback(opts.XDSAddr); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if opts.NodeID == "" && opts.PodName == "" {
		return nil, errors.New("bootstrap: NodeID or PodName is required")
	}
	o := opts.withDefaults()
	b := bootstrapJSON{
		XDSServers: []xdsServerJSON{{
			ServerURI:      o.XDSAddr,
			ChannelCreds:   []channelCredJSON{{Type: "insecure"}},
			ServerFeatures: []string{"xds_v3"},
		}},
		Node: nodeJSON{ID: o.NodeID, Metadata: nodeMetadata{
			Namespace:      o.Namespace,
			Labels:         o.Labels,
			ServiceAccount: o.ServiceAccount,
			Generator:      "grpc",
		}},
		ServerListenerResourceNameTemplate: ServerListenerTemplate,
	}
	b.Node.Locality = nodeLocality(o.Locality)
	if o.CertDir != "" {
		b.CertificateProviders = fileWatcher(o.CertDir)
		b.Node.Metadata.CertProviders = "default"
	}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bootstrap: marshal: %w", err)
	}
	return out, nil
}

// orBootstrap returns given (a bootstrap weft-agent wrote) or renders one.
func orBootstrap(given []byte, o BootstrapOptions) ([]byte, error) {
	if given != nil {
		return given, nil
	}
	return Bootstrap(o)
}
