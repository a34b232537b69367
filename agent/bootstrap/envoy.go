package bootstrap

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/contract"
)

// EnvoyOptions configure an Envoy bootstrap.
type EnvoyOptions struct {
	Identity Identity
	// XDSAddr is weftd's ADS address, host:port.
	XDSAddr string
	// XDSPlaintext connects without TLS (local weftd on 15010). Otherwise
	// Envoy presents the workload certificate and verifies weftd's serving
	// certificate against ROOTCA, for XDSServerName.
	XDSPlaintext bool
	// XDSServerName is the SNI and the name weftd's certificate must carry
	// (default: the host of XDSAddr; an IP is matched as an IP SAN).
	XDSServerName string
	// SDSSocket is weft-agent's SDS Unix socket. Required.
	SDSSocket string
	// AdminAddr is Envoy's admin listener (default 127.0.0.1:15000).
	AdminAddr string
}

// Envoy renders the bootstrap as JSON and checks it with the generated
// protoc-gen-validate rules.
func Envoy(opts EnvoyOptions) ([]byte, error) {
	b, err := EnvoyProto(opts)
	if err != nil {
		return nil, err
	}
	out, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("marshal envoy bootstrap: %w", err)
	}
	return out, nil
}

// EnvoyProto builds and validates the bootstrap message.
func EnvoyProto(opts EnvoyOptions) (*bootstrapv3.Bootstrap, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	xds, err := xdsCluster(opts)
	if err != nil {
		return nil, err
	}
	admin, err := socketAddress(orString(opts.AdminAddr, contract.AgentAdminAddr))
	if err != nil {
		return nil, fmt.Errorf("admin address: %w", err)
	}
	md, err := structpb.NewStruct(opts.Identity.metadata())
	if err != nil {
		return nil, fmt.Errorf("node metadata: %w", err)
	}
	b := &bootstrapv3.Bootstrap{
		Node: &corev3.Node{Id: opts.Identity.NodeID(), Cluster: opts.Identity.ServiceCluster(), Metadata: md,
			Locality: opts.Identity.Locality()},
		Admin: &bootstrapv3.Admin{Address: admin},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: &corev3.ApiConfigSource{
				ApiType:                   corev3.ApiConfigSource_GRPC,
				TransportApiVersion:       corev3.ApiVersion_V3,
				GrpcServices:              []*corev3.GrpcService{envoyGRPC(XDSCluster)},
				SetNodeOnFirstMessageOnly: true,
			},
			CdsConfig: adsSource(),
			LdsConfig: adsSource(),
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{
			Clusters: []*clusterv3.Cluster{xds, sdsCluster(opts.SDSSocket)},
		},
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("envoy bootstrap invalid: %w", err)
	}
	return b, nil
}

func (o EnvoyOptions) check() error {
	var errs []error
	if o.XDSAddr == "" {
		errs = append(errs, errors.New("xDS address is empty"))
	}
	if o.SDSSocket == "" {
		errs = append(errs, errors.New("SDS socket path is empty"))
	}
	if err := o.Identity.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("envoy bootstrap: %w", err)
	}
	return nil
}

func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

func envoyGRPC(cluster string) *corev3.GrpcService {
	return &corev3.GrpcService{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
		EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: cluster}}}
}

// sdsSecret fetches a secret from the agent over the SDS cluster, as the
// listeners and clusters weftd sends do.
func sdsSecret(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: &corev3.ConfigSource{
		ResourceApiVersion: corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_ApiConfigSource{ApiConfigSource: &corev3.ApiConfigSource{
			ApiType:             corev3.ApiConfigSource_GRPC,
			TransportApiVersion: corev3.ApiVersion_V3,
			GrpcServices:        []*corev3.GrpcService{envoyGRPC(SDSCluster)},
		}},
	}}
}

// xdsCluster reaches weftd: STATIC for an IP, LOGICAL_DNS for a name.
func xdsCluster(opts EnvoyOptions) (*clusterv3.Cluster, error) {
	host, port, err := splitHostPort(opts.XDSAddr)
	if err != nil {
		return nil, fmt.Errorf("xDS address: %w", err)
	}
	c := &clusterv3.Cluster{
		Name:           XDSCluster,
		ConnectTimeout: durationpb.New(time.Second),
		LoadAssignment: loadAssignment(XDSCluster, &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
	}
	if net.ParseIP(host) == nil {
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_LOGICAL_DNS}
	}
	if err := setHTTP2(c); err != nil {
		return nil, err
	}
	if opts.XDSPlaintext {
		return c, nil
	}
	ts, err := xdsTLS(orString(opts.XDSServerName, host))
	if err != nil {
		return nil, err
	}
	c.TransportSocket = ts
	return c, nil
}

// xdsTLS presents the workload certificate and verifies weftd: Envoy checks
// only the chain unless told which name to expect, so the SAN is matched too.
func xdsTLS(serverName string) (*corev3.TransportSocket, error) {
	san := &tlsv3.SubjectAltNameMatcher{SanType: tlsv3.SubjectAltNameMatcher_DNS,
		Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: serverName}}}
	tlsCtx := &tlsv3.UpstreamTlsContext{
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{sdsSecret(SecretWorkload)},
			ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
				CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
					DefaultValidationContext:         &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{san}},
					ValidationContextSdsSecretConfig: sdsSecret(SecretRootCA),
				}},
			AlpnProtocols: []string{"h2"},
		},
	}
	if net.ParseIP(serverName) != nil {
		san.SanType = tlsv3.SubjectAltNameMatcher_IP_ADDRESS
	} else {
		tlsCtx.Sni = serverName
	}
	a, err := validatedAny(tlsCtx)
	if err != nil {
		return nil, fmt.Errorf("xDS TLS context: %w", err)
	}
	return &corev3.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}, nil
}

// sdsCluster reaches the agent's SDS server on its Unix socket.
func sdsCluster(socket string) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:                 SDSCluster,
		ConnectTimeout:       durationpb.New(time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		LoadAssignment: loadAssignment(SDSCluster, &corev3.Address{Address: &corev3.Address_Pipe{
			Pipe: &corev3.Pipe{Path: socket}}}),
	}
	// Cannot fail: the options message is fixed and valid.
	_ = setHTTP2(c)
	return c
}

func loadAssignment(cluster string, addr *corev3.Address) *endpointv3.ClusterLoadAssignment {
	return &endpointv3.ClusterLoadAssignment{
		ClusterName: cluster,
		Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: addr}},
		}}}},
	}
}

// setHTTP2 makes the cluster speak HTTP/2, which gRPC needs.
func setHTTP2(c *clusterv3.Cluster) error {
	a, err := validatedAny(&httpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
		}},
	})
	if err != nil {
		return fmt.Errorf("http2 protocol options: %w", err)
	}
	c.TypedExtensionProtocolOptions = map[string]*anypb.Any{"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": a}
	return nil
}

// validatedAny packs m after running its validation rules: ValidateAll on
// the bootstrap does not look inside Any fields.
func validatedAny(m interface {
	proto.Message
	ValidateAll() error
}) (*anypb.Any, error) {
	if err := m.ValidateAll(); err != nil {
		return nil, err
	}
	return anypb.New(m)
}

func socketAddress(addr string) (*corev3.Address, error) {
	host, port, err := splitHostPort(addr)
	if err != nil {
		return nil, err
	}
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}, nil
}

func splitHostPort(addr string) (string, uint32, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return "", 0, fmt.Errorf("port %q in %q", portStr, addr)
	}
	return host, uint32(port), nil
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
