package xds

import (
	"slices"
	"strings"

	"github.com/weftmesh/weft/pilot/mesh"
)

// TLSRoutesFor returns the tls rules of vh that apply to p, in order. A
// rule whose server names and destination subnets repeat an earlier
// applicable one could never be reached, so istiod builds no filter chain
// for it and neither does this.
func TLSRoutesFor(vh *mesh.VirtualHost, p *Proxy) []*mesh.TLSRoute {
	var out []*mesh.TLSRoute
	seen := map[string]bool{}
	for _, r := range vh.TLSRoutes {
		if !matchApplies(r.Port, r.SourceLabels, r.SourceNamespace, vh.Port.Number, p) {
			continue
		}
		key := strings.Join(sortedCopy(r.SNIHosts), ",") + "|" + strings.Join(sortedCopy(r.DestinationSubnets), ",")
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
