package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/agent/certfiles"
	"github.com/weftmesh/weft/contract"
)

// GRPCOptions configure a grpc-go xDS bootstrap.
type GRPCOptions struct {
	Identity Identity
	// XDSAddr is weftd's ADS address, host:port.
	XDSAddr string
	// XDSPlaintext uses insecure channel credentials (local weftd on
	// 15010); otherwise the channel is mutual TLS with the workload
	// certificate, verifying weftd against the root bundle in Certs.
	XDSPlaintext bool
	// Certs are the files weft-agent keeps current. Required.
	Certs certfiles.Paths
	// RefreshInterval is how often grpc-go re-reads them (default 10s).
	RefreshInterval time.Duration
}

type grpcBootstrap struct {
	XDSServers                         []grpcXDSServer         `json:"xds_servers"`
	Node                               grpcNode                `json:"node"`
	ServerListenerResourceNameTemplate string                  `json:"server_listener_resource_name_template"`
	CertificateProviders               map[string]grpcProvider `json:"certificate_providers"`
}

type grpcXDSServer struct {
	ServerURI      string      `json:"server_uri"`
	ChannelCreds   []grpcCreds `json:"channel_creds"`
	ServerFeatures []string    `json:"server_features"`
}

type grpcCreds struct {
	Type   string          `json:"type"`
	Config *fileWatcherCfg `json:"config,omitempty"`
}

type grpcNode struct {
	ID       string         `json:"id"`
	Metadata map[string]any `json:"metadata"`
	Locality *grpcLocality  `json:"locality,omitempty"`
}

type grpcProvider struct {
	PluginName string         `json:"plugin_name"`
	Config     fileWatcherCfg `json:"config"`
}

// fileWatcherCfg has the keys of grpc-go's pemfile plugin
// (credentials/tls/certprovider/pemfile); refresh_interval is a protobuf
// JSON Duration such as "10s". The TLS channel credentials take the same keys.
type fileWatcherCfg struct {
	CertificateFile   string          `json:"certificate_file"`
	PrivateKeyFile    string          `json:"private_key_file"`
	CACertificateFile string          `json:"ca_certificate_file"`
	RefreshInterval   json.RawMessage `json:"refresh_interval,omitempty"`
}

// GRPC renders the bootstrap JSON.
func GRPC(opts GRPCOptions) ([]byte, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	refresh, err := protojson.Marshal(durationpb.New(orDefault(opts.RefreshInterval, 10*time.Second)))
	if err != nil {
		return nil, fmt.Errorf("refresh interval: %w", err)
	}
	files := fileWatcherCfg{
		CertificateFile:   opts.Certs.CertChain,
		PrivateKeyFile:    opts.Certs.Key,
		CACertificateFile: opts.Certs.RootCert,
		RefreshInterval:   refresh,
	}
	md := opts.Identity.metadata()
	md[contract.MetaGenerator] = contract.GeneratorGRPC
	// weftd sends TLS config naming a provider only to proxies that declare
	// it, because grpc-go rejects one its bootstrap lacks.
	md[contract.MetaCertProviders] = CertProviderInstance
	b := grpcBootstrap{
		XDSServers: []grpcXDSServer{{
			ServerURI:      opts.XDSAddr,
			ChannelCreds:   []grpcCreds{channelCreds(opts.XDSPlaintext, files)},
			ServerFeatures: []string{"xds_v3"},
		}},
		Node:                               grpcNode{ID: opts.Identity.NodeID(), Metadata: md, Locality: opts.Identity.grpcLocality()},
		ServerListenerResourceNameTemplate: ServerListenerTemplate,
		CertificateProviders: map[string]grpcProvider{
			CertProviderInstance: {PluginName: "file_watcher", Config: files},
		},
	}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal grpc bootstrap: %w", err)
	}
	return out, nil
}

func (o GRPCOptions) check() error {
	var errs []error
	if o.XDSAddr == "" {
		errs = append(errs, errors.New("xDS address is empty"))
	}
	if o.Certs.CertChain == "" || o.Certs.Key == "" || o.Certs.RootCert == "" {
		errs = append(errs, errors.New("certificate file paths are required"))
	}
	if err := o.Identity.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("grpc bootstrap: %w", err)
	}
	return nil
}

// channelCreds: plaintext, or grpc-go's "tls" credentials reading the same
// rotating files, so the ADS connection presents the workload certificate and
// trusts the mesh roots.
func channelCreds(plaintext bool, files fileWatcherCfg) grpcCreds {
	if plaintext {
		return grpcCreds{Type: "insecure"}
	}
	return grpcCreds{Type: "tls", Config: &files}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
