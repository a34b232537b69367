package mesh

import (
	"cmp"
	"strings"

	"istio.io/api/label"
)

// Topology labels Istio reads a locality from (Kubernetes Nodes) and adds
// to workload labels, so failoverPriority can name them.
const (
	LabelRegion  = "topology.kubernetes.io/region"
	LabelZone    = "topology.kubernetes.io/zone"
	LabelSubzone = "topology.istio.io/subzone"
	// LabelLocalityLegacy is the pod label overriding the node's locality,
	// "region.zone.subzone" since label values cannot hold "/".
	LabelLocalityLegacy = "istio-locality"
)

// LabelLocality is topology.istio.io/locality, the newer spelling of the
// override label; Istio reads it before istio-locality.
var LabelLocality = label.TopologyLocality.Name

// Locality is where a workload runs.
type Locality struct{ Region, Zone, Subzone string }

// ParseLocality reads Istio's "region/zone/subzone" form; missing parts are empty.
func ParseLocality(s string) Locality {
	parts := strings.SplitN(s, "/", 3)
	parts = append(parts, "", "", "")
	return Locality{Region: parts[0], Zone: parts[1], Subzone: parts[2]}
}

// String is the canonical form endpoints are grouped by: trailing empty
// parts left out, as Istio writes a locality to Envoy.
func (l Locality) String() string {
	switch {
	case l.Subzone != "":
		return l.Region + "/" + l.Zone + "/" + l.Subzone
	case l.Zone != "":
		return l.Region + "/" + l.Zone
	}
	return l.Region
}

// LocalityFromLabels is the override a workload's labels carry
// (topology.istio.io/locality, then istio-locality; "." separates its
// parts as in Istio), or "" when neither is set.
func LocalityFromLabels(labels map[string]string) string {
	v, ok := labels[LabelLocality]
	if !ok {
		v = labels[LabelLocalityLegacy]
	}
	if v == "" {
		return ""
	}
	if !strings.Contains(v, "/") {
		v = strings.ReplaceAll(v, ".", "/")
	}
	return ParseLocality(v).String()
}

// LocalityFromNode is a Kubernetes Node's locality from its topology
// labels, the deprecated failure-domain ones standing in as in Istio.
func LocalityFromNode(labels map[string]string) string {
	region := cmp.Or(labels[LabelRegion], labels["failure-domain.beta.kubernetes.io/region"])
	zone := cmp.Or(labels[LabelZone], labels["failure-domain.beta.kubernetes.io/zone"])
	return Locality{Region: region, Zone: zone, Subzone: labels[LabelSubzone]}.String()
}

// LabelHostname is the Node label Istio adds as a workload's node name.
const LabelHostname = "kubernetes.io/hostname"

// topologyLabels adds the locality's topology labels and the node name to
// labels, as Istio augments endpoint and proxy labels before matching
// failoverPriority.
func topologyLabels(labels map[string]string, locality, node string) map[string]string {
	l := ParseLocality(locality)
	out := make(map[string]string, len(labels)+4)
	for k, v := range labels {
		out[k] = v
	}
	for k, v := range map[string]string{LabelRegion: l.Region, LabelZone: l.Zone, LabelSubzone: l.Subzone, LabelHostname: node} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// localityMatch applies a DestinationRule locality pattern: "*" matches any
// part, and a zone or subzone left out matches any.
func localityMatch(l Locality, pattern string) bool {
	p := ParseLocality(pattern)
	return (p.Region == "*" || p.Region == l.Region) &&
		(p.Zone == "*" || p.Zone == "" || p.Zone == l.Zone) &&
		(p.Subzone == "*" || p.Subzone == "" || p.Subzone == l.Subzone)
}

// proximity is Envoy's default failover order: 0 same subzone, 1 same
// zone, 2 same region, 3 another region.
func proximity(proxy, ep Locality) uint32 {
	switch {
	case proxy.Region != ep.Region:
		return 3
	case proxy.Zone != ep.Zone:
		return 2
	case proxy.Subzone != ep.Subzone:
		return 1
	}
	return 0
}
