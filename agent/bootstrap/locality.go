package bootstrap

import (
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"istio.io/api/label"
)

// legacyLocalityLabel is the pod label Istio's agent (and istiod) read a
// workload's locality from, "region.zone.subzone" as label values cannot
// hold "/".
const legacyLocalityLabel = "istio-locality"

// Locality is the node locality the bootstrap declares, as Istio's agent
// sets it: from the pod's topology.istio.io/locality (else istio-locality)
// label; nil without one. weftd prefers the pod's Node when it knows the pod.
func (id Identity) Locality() *corev3.Locality {
	v, ok := id.Labels[label.TopologyLocality.Name]
	if !ok {
		v = id.Labels[legacyLocalityLabel]
	}
	if v == "" {
		return nil
	}
	if !strings.Contains(v, "/") {
		v = strings.ReplaceAll(v, ".", "/")
	}
	parts := append(strings.SplitN(v, "/", 3), "", "")
	return &corev3.Locality{Region: parts[0], Zone: parts[1], SubZone: parts[2]}
}

// grpcLocality is core.Locality in grpc-go's bootstrap JSON.
type grpcLocality struct {
	Region  string `json:"region,omitempty"`
	Zone    string `json:"zone,omitempty"`
	SubZone string `json:"sub_zone,omitempty"`
}

func (id Identity) grpcLocality() *grpcLocality {
	l := id.Locality()
	if l == nil {
		return nil
	}
	return &grpcLocality{Region: l.GetRegion(), Zone: l.GetZone(), SubZone: l.GetSubZone()}
}
