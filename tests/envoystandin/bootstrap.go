package envoystandin

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

// Bootstrap is what Envoy takes from its bootstrap to reach the control
// plane.
type Bootstrap struct {
	// Node identifies the proxy on every xDS and SDS stream.
	Node *corev3.Node
	// SetNodeOnFirstMessageOnly sends Node on a stream's first request only.
	SetNodeOnFirstMessageOnly bool
	// ADS is the static cluster dynamic_resources.ads_config names.
	ADS Upstream
	// Proto is the whole bootstrap as read.
	Proto *bootstrapv3.Bootstrap
}

// Upstream is a static cluster with one endpoint.
type Upstream struct {
	Cluster string
	Host    string
	Port    uint32
	// ResolveByDNS is set for LOGICAL_DNS and STRICT_DNS clusters: Host is a
	// name looked up when connecting.
	ResolveByDNS bool
	// ConnectTimeout is the cluster's connect_timeout (0 when unset).
	ConnectTimeout time.Duration
	// TLS is the cluster's UpstreamTlsContext; nil means plaintext.
	TLS *UpstreamTLS
	// ResolvedIP, when set, is what Host resolved to in the proxy's
	// container (its /etc/hosts); empty resolves Host by DNS here.
	ResolvedIP string
}

// Addr is host:port.
func (u Upstream) Addr() string {
	return net.JoinHostPort(u.Host, strconv.FormatUint(uint64(u.Port), 10))
}

// UpstreamTLS is the part of an UpstreamTlsContext the stand-in honours.
type UpstreamTLS struct {
	// SNI is sent as the TLS server name; empty sends none.
	SNI  string
	ALPN []string
	// MinVersion and MaxVersion are tls_params, with Envoy's client
	// defaults (TLS 1.2 for both) when unset.
	MinVersion, MaxVersion uint16
	// Certificate is the SDS secret with the client certificate, Validation
	// the one with the trusted CA.
	Certificate SecretSource
	Validation  SecretSource
	// SANs are the validation context's matchers; the server certificate
	// must satisfy one of them (none: any name, as in Envoy).
	SANs []SANMatcher
}

// SecretSource is an SDS secret and the Unix socket of the static cluster
// that serves it.
type SecretSource struct {
	Name    string
	Cluster string
	Pipe    string
	// SetNodeOnFirstMessageOnly is the SDS config source's flag.
	SetNodeOnFirstMessageOnly bool
}

// SANMatcher is one subject-alt-name matcher. Type is SAN_TYPE_UNSPECIFIED
// for the legacy match_subject_alt_names, which Envoy applies to every SAN.
type SANMatcher struct {
	Type    tlsv3.SubjectAltNameMatcher_SanType
	Matcher *matcherv3.StringMatcher
}

// ReadBootstrap reads an Envoy bootstrap file (JSON) and extracts what
// Envoy needs from it.
func ReadBootstrap(path string) (*Bootstrap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read envoy bootstrap: %w", err)
	}
	b, err := ParseBootstrap(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// ParseBootstrap decodes a bootstrap (protojson) and extracts the node, the
// ADS cluster and its TLS settings, failing on anything Envoy would need
// and the bootstrap lacks, or that the stand-in does not implement.
func ParseBootstrap(data []byte) (*Bootstrap, error) {
	pb := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(data, pb); err != nil {
		return nil, fmt.Errorf("decode envoy bootstrap: %w", err)
	}
	if err := pb.ValidateAll(); err != nil {
		return nil, fmt.Errorf("envoy bootstrap invalid: %w", err)
	}
	if pb.GetNode().GetId() == "" || pb.GetNode().GetCluster() == "" {
		return nil, errors.New("envoy bootstrap: node.id and node.cluster are required for xDS")
	}
	ads, err := adsConfig(pb)
	if err != nil {
		return nil, err
	}
	up, err := upstream(pb, ads.clusterName)
	if err != nil {
		return nil, err
	}
	return &Bootstrap{Node: pb.GetNode(), SetNodeOnFirstMessageOnly: ads.nodeOnce, ADS: up, Proto: pb}, nil
}

type adsSettings struct {
	clusterName string
	nodeOnce    bool
}

// adsConfig checks that LDS and CDS come over ADS and returns the gRPC
// cluster the ADS config names.
func adsConfig(pb *bootstrapv3.Bootstrap) (adsSettings, error) {
	dyn := pb.GetDynamicResources()
	ads := dyn.GetAdsConfig()
	if ads == nil {
		return adsSettings{}, errors.New("envoy bootstrap: dynamic_resources.ads_config is missing")
	}
	if ads.GetApiType() != corev3.ApiConfigSource_GRPC {
		return adsSettings{}, fmt.Errorf("envoy bootstrap: ads_config api_type %v: the stand-in speaks state-of-the-world GRPC only", ads.GetApiType())
	}
	if ads.GetTransportApiVersion() != corev3.ApiVersion_V3 {
		return adsSettings{}, fmt.Errorf("envoy bootstrap: ads_config transport_api_version %v, want V3", ads.GetTransportApiVersion())
	}
	for name, src := range map[string]*corev3.ConfigSource{"lds_config": dyn.GetLdsConfig(), "cds_config": dyn.GetCdsConfig()} {
		if src.GetAds() == nil {
			return adsSettings{}, fmt.Errorf("envoy bootstrap: dynamic_resources.%s does not use ADS", name)
		}
	}
	cluster, err := grpcCluster(ads, "ads_config")
	if err != nil {
		return adsSettings{}, err
	}
	return adsSettings{clusterName: cluster, nodeOnce: ads.GetSetNodeOnFirstMessageOnly()}, nil
}

// grpcCluster is the static cluster an API config source's Envoy gRPC
// service names.
func grpcCluster(src *corev3.ApiConfigSource, what string) (string, error) {
	svcs := src.GetGrpcServices()
	if len(svcs) == 0 {
		return "", fmt.Errorf("envoy bootstrap: %s has no grpc_services", what)
	}
	name := svcs[0].GetEnvoyGrpc().GetClusterName()
	if name == "" {
		return "", fmt.Errorf("envoy bootstrap: %s's grpc service is not envoy_grpc with a cluster_name", what)
	}
	return name, nil
}

func staticCluster(pb *bootstrapv3.Bootstrap, name string) (*clusterv3.Cluster, error) {
	for _, c := range pb.GetStaticResources().GetClusters() {
		if c.GetName() == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("envoy bootstrap: no static cluster %q", name)
}

// upstream reads the ADS cluster: its one socket address, resolution and
// transport socket.
func upstream(pb *bootstrapv3.Bootstrap, name string) (Upstream, error) {
	c, err := staticCluster(pb, name)
	if err != nil {
		return Upstream{}, err
	}
	up := Upstream{Cluster: name, ConnectTimeout: c.GetConnectTimeout().AsDuration()}
	switch c.GetType() {
	case clusterv3.Cluster_STATIC:
	case clusterv3.Cluster_LOGICAL_DNS, clusterv3.Cluster_STRICT_DNS:
		up.ResolveByDNS = true
	default:
		return Upstream{}, fmt.Errorf("envoy bootstrap: cluster %q has type %v; the stand-in handles STATIC, LOGICAL_DNS and STRICT_DNS", name, c.GetType())
	}
	sa := firstEndpoint(c).GetSocketAddress()
	if sa.GetAddress() == "" || sa.GetPortValue() == 0 {
		return Upstream{}, fmt.Errorf("envoy bootstrap: cluster %q has no endpoint with a socket address and port_value", name)
	}
	up.Host, up.Port = sa.GetAddress(), sa.GetPortValue()
	if !up.ResolveByDNS && net.ParseIP(up.Host) == nil {
		return Upstream{}, fmt.Errorf("envoy bootstrap: STATIC cluster %q has address %q, not an IP", name, up.Host)
	}
	up.TLS, err = upstreamTLS(pb, c)
	if err != nil {
		return Upstream{}, fmt.Errorf("envoy bootstrap: cluster %q: %w", name, err)
	}
	return up, nil
}

// firstEndpoint is the address Envoy connects to first; a LOGICAL_DNS
// cluster has exactly one.
func firstEndpoint(c *clusterv3.Cluster) *corev3.Address {
	for _, loc := range c.GetLoadAssignment().GetEndpoints() {
		for _, ep := range loc.GetLbEndpoints() {
			if a := ep.GetEndpoint().GetAddress(); a != nil {
				return a
			}
		}
	}
	return nil
}
