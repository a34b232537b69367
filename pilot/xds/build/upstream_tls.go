package build

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rawv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// transportSocketMatch is the metadata namespace Envoy matches endpoints'
// transport sockets on; tlsMode=istio marks endpoints with a mesh proxy.
const transportSocketMatch = "envoy.transport_socket_match"

var tlsModeMetadata = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{
	transportSocketMatch: {Fields: map[string]*structpb.Value{"tlsMode": structpb.NewStringValue("istio")}},
}}

// setUpstreamTLS applies the cluster's TLS mode. Automatic mTLS uses TLS to
// endpoints with a mesh proxy whose PeerAuthentication does not disable mTLS
// on that port (tlsMode metadata, see lbEndpoint): Envoy decides per
// endpoint; grpc-go cannot, so a proxyless client uses TLS only when every
// endpoint accepts it (a proxyless server labelled tlsMode=istio serves
// PERMISSIVE as mTLS, see grpcgen.serverMode).
func setUpstreamTLS(out *clusterv3.Cluster, c *mesh.Cluster, opts Options, deg *Degradations) {
	mode := mesh.TLSAuto
	if c.Policy.TLS != nil {
		mode = c.Policy.TLS.Mode
	}
	switch {
	case mode == mesh.TLSSimple || mode == mesh.TLSMutual:
		setUserTLS(out, c, c.Policy.TLS, opts, deg)
	case mode == mesh.TLSDisable || c.Service.External || opts.Mesh == nil || opts.NoTLS:
	case mode == mesh.TLSIstioMutual:
		out.TransportSocket = UpstreamTLS(c, ServerSANs(c, opts.Mesh.TrustDomain), opts)
	case opts.Proxyless:
		if allAcceptMeshTLS(c, opts.Mesh) {
			out.TransportSocket = UpstreamTLS(c, ServerSANs(c, opts.Mesh.TrustDomain), opts)
		}
	default:
		out.TransportSocketMatches = []*clusterv3.Cluster_TransportSocketMatch{
			{Name: "tlsMode-istio", Match: tlsModeMetadata.FilterMetadata[transportSocketMatch], TransportSocket: UpstreamTLS(c, ServerSANs(c, opts.Mesh.TrustDomain), opts)},
			{Name: "tlsMode-disabled", Match: &structpb.Struct{}, TransportSocket: rawBuffer()},
		}
	}
}

func allAcceptMeshTLS(c *mesh.Cluster, m *mesh.Mesh) bool {
	eps := c.Endpoints()
	for _, ep := range eps {
		if !m.PeerAuthn.AcceptsMeshTLS(ep) {
			return false
		}
	}
	return len(eps) > 0
}

func rawBuffer() *corev3.TransportSocket {
	return &corev3.TransportSocket{Name: "envoy.transport_sockets.raw_buffer",
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&rawv3.RawBuffer{})}}
}

// peerAuthnOf is the mesh's PeerAuthentication, or none when building
// without a mesh (unit tests), where automatic mTLS follows labels alone.
func peerAuthnOf(opts Options) mesh.PeerAuthn {
	if opts.Mesh == nil {
		return mesh.PeerAuthn{}
	}
	return opts.Mesh.PeerAuthn
}
