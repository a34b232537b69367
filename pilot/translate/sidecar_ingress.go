package translate

import (
	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// sidecarIngress converts spec.ingress and spec.inboundConnectionPool.
// ingress[].tls is left to the support table's diagnostic: istiod ignores
// it too unless its ENABLE_TLS_ON_SIDECAR_INGRESS flag is on.
func (t *translator) sidecarIngress(ref mesh.Ref, spec *networking.Sidecar, s *mesh.Scope) {
	s.InboundPoolDefault = connectionPool(spec.GetInboundConnectionPool())
	for _, in := range spec.GetIngress() {
		p := in.GetPort()
		s.Ingress = append(s.Ingress, mesh.IngressListener{
			Port:            mesh.Port{Name: p.GetName(), Number: p.GetNumber(), Protocol: mesh.ProtocolFromName("", p.GetProtocol())},
			DefaultEndpoint: in.GetDefaultEndpoint(),
			Bind:            in.GetBind(),
			CaptureNone:     in.GetCaptureMode() == networking.CaptureMode_NONE,
			Pool:            connectionPool(in.GetConnectionPool()),
		})
	}
	if len(spec.GetIngress()) > 0 {
		t.unsupported(ref, "spec.ingress", "proxyless gRPC: not applied; a grpc-go xDS server serves the port it listens on, "+
			"with inbound chains from the workload's Service ports (Envoy sidecars follow the ingress listeners)")
	}
}
