package xds

import (
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// nodeLocality is what the proxy's labels say (topology labels, else a
// locality label), else the node locality its bootstrap sent (Envoy's and
// grpc-go's node.locality), as istiod falls back to what the proxy says
// when no registry knows better.
func nodeLocality(labels map[string]string, l *core.Locality) string {
	if loc := topologyLocality(labels); loc != "" {
		return loc
	}
	if loc := mesh.LocalityFromLabels(labels); loc != "" {
		return loc
	}
	return mesh.Locality{Region: l.GetRegion(), Zone: l.GetZone(), Subzone: l.GetSubZone()}.String()
}

// metaNodeName is the node metadata Istio's injector fills with the pod's
// spec.nodeName.
const metaNodeName = "NODE_NAME"

// LocalityView is what of the proxy its endpoints' priorities depend on.
func (p *Proxy) LocalityView() mesh.LocalityView {
	return mesh.LocalityView{Locality: p.Locality, Labels: p.Labels, NodeName: p.NodeName}
}

// topologyLocality reads topology.kubernetes.io/region and /zone and
// topology.istio.io/subzone from labels, "" when none is set.
func topologyLocality(labels map[string]string) string {
	return mesh.Locality{Region: labels[mesh.LabelRegion], Zone: labels[mesh.LabelZone], Subzone: labels[mesh.LabelSubzone]}.String()
}
