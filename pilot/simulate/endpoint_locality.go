package simulate

import (
	"fmt"
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// describeLocalities traces how Envoy spreads a cluster's hosts: by
// priority, then (with locality_weighted_lb_config) by locality weight.
// Envoy sends everything to the highest priority while enough of its hosts
// are healthy; only as they fail does traffic spill to the next.
func describeLocalities(cl *clusterv3.Cluster, hosts []host, res *Result) {
	if !multiLocality(hosts) {
		return
	}
	weighted := cl.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil
	for _, p := range priorities(hosts) {
		res.step("endpoints", "%s priority %d: %s", cl.GetName(), p, localitiesAt(hosts, p, weighted))
	}
	if !weighted {
		res.step("endpoints", "%s: locality weights unused: no locality_weighted_lb_config, so hosts of a priority are balanced as one set", cl.GetName())
	}
}

// multiLocality: more than one priority or locality, so the spread is worth telling.
func multiLocality(hosts []host) bool {
	for _, h := range hosts {
		if h.Priority != hosts[0].Priority || h.Locality != hosts[0].Locality {
			return true
		}
	}
	return false
}

func priorities(hosts []host) []uint32 {
	var out []uint32
	for _, h := range hosts {
		if !slices.Contains(out, h.Priority) {
			out = append(out, h.Priority)
		}
	}
	slices.Sort(out)
	return out
}

// localitiesAt lists the localities of one priority with their hosts.
func localitiesAt(hosts []host, p uint32, weighted bool) string {
	var parts []string
	seen := map[string]bool{}
	for _, h := range hosts {
		if h.Priority != p || seen[h.Locality] {
			continue
		}
		seen[h.Locality] = true
		name := h.Locality
		if name == "" {
			name = "(no locality)"
		}
		if weighted {
			name += fmt.Sprintf(" weight %d", h.LocalityWeight)
		}
		parts = append(parts, name+" ["+strings.Join(addressesAt(hosts, p, h.Locality), " ")+"]")
	}
	return strings.Join(parts, ", ")
}

func addressesAt(hosts []host, p uint32, locality string) []string {
	var out []string
	for _, h := range hosts {
		if h.Priority == p && h.Locality == locality {
			out = append(out, h.Address)
		}
	}
	return out
}
