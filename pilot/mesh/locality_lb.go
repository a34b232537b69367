package mesh

import (
	"slices"
	"sort"
	"strings"
)

// LocalityLB is a localityLbSetting (DestinationRule or meshConfig). It is
// its own YAML form (tags below): plain data, no enums or pointers.
type LocalityLB struct {
	// Disabled is enabled: false: no priorities and no weights.
	Disabled bool `json:"disabled,omitempty"`
	// Distribute sets locality weights per source locality; it wins over
	// failover, as in Istio.
	Distribute []LocalityDistribute `json:"distribute,omitempty"`
	// Failover sends traffic from a region to another before any other.
	Failover []LocalityFailover `json:"failover,omitempty"`
	// FailoverPriority are labels ("name" or "name=value") ordering
	// endpoints by how many leading ones match the proxy's.
	FailoverPriority []string `json:"failoverPriority,omitempty"`
}

// LocalityDistribute weighs destination localities for proxies in From.
type LocalityDistribute struct {
	From string `json:"from"`
	// To are destination locality patterns and their weights, sorted by pattern.
	To []LocalityWeight `json:"to"`
}

// LocalityWeight is one destination pattern's share.
type LocalityWeight struct {
	Locality string `json:"locality"`
	Weight   uint32 `json:"weight"`
}

// LocalityFailover: proxies in region From fail over to region To.
type LocalityFailover struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// LocalityGroup is the endpoints of one locality at one priority: one
// LocalityLbEndpoints of a ClusterLoadAssignment.
type LocalityGroup struct {
	Locality  string
	Priority  uint32
	Weight    uint32
	Endpoints []Endpoint
}

// LocalityView is what of a proxy its endpoints' priorities depend on.
type LocalityView struct {
	Locality string
	Labels   map[string]string
	NodeName string
}

// GroupByLocality groups endpoints by locality, in locality order, each
// weighing the sum of its endpoints' weights (as istiod). A repeated
// address:port is kept once: grpc-go rejects an assignment that repeats one.
func GroupByLocality(eps []Endpoint) []LocalityGroup {
	idx := map[string]int{}
	seen := map[string]bool{}
	var out []LocalityGroup
	for _, ep := range eps {
		key := ep.Address + "|" + itoa(ep.Port)
		if seen[key] {
			continue
		}
		seen[key] = true
		loc := ParseLocality(ep.Locality).String()
		i, ok := idx[loc]
		if !ok {
			i = len(out)
			idx[loc] = i
			out = append(out, LocalityGroup{Locality: loc})
		}
		out[i].Endpoints = append(out[i].Endpoints, ep)
		out[i].Weight += max(ep.Weight, 1)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Locality < out[j].Locality })
	return out
}

// EffectiveLocalityLB is the setting in force: the DestinationRule's, else
// the mesh's (nil is Istio's default mesh config, enabled); nil when disabled.
func EffectiveLocalityLB(rule, meshDefault *LocalityLB) *LocalityLB {
	s := rule
	if s == nil {
		s = meshDefault
	}
	if s == nil {
		return &LocalityLB{}
	}
	if s.Disabled {
		return nil
	}
	return s
}

// LocalityGroups are the cluster's endpoints as a proxy at v receives them.
// Distribute weighs localities; failover (by proximity, failover regions
// and failoverPriority labels) sets priorities, and only with outlier
// detection, since without ejection Envoy never leaves priority 0 (Istio).
func (c *Cluster) LocalityGroups(meshDefault *LocalityLB, v LocalityView) []LocalityGroup {
	groups := GroupByLocality(c.Endpoints())
	lb := EffectiveLocalityLB(c.Policy.LocalityLB, meshDefault)
	switch {
	case lb == nil:
		return groups
	case len(lb.Distribute) > 0:
		return distribute(groups, ParseLocality(v.Locality), lb.Distribute)
	case c.Policy.OutlierDetection == nil:
		return groups
	case len(lb.FailoverPriority) > 0:
		groups = byFailoverPriority(groups, v, lb.FailoverPriority)
		if len(lb.Failover) == 0 {
			return groups
		}
	}
	return byProximity(groups, ParseLocality(v.Locality), lb.Failover)
}

// distribute applies the first rule whose From matches the proxy: each
// locality takes the weight of the first To pattern it matches, split
// between the localities that pattern matches by their own weights
// (rounded up); localities no pattern matches receive nothing.
func distribute(groups []LocalityGroup, from Locality, rules []LocalityDistribute) []LocalityGroup {
	for _, r := range rules {
		if !localityMatch(from, r.From) {
			continue
		}
		weights := make([]uint32, len(groups))
		taken := make([]bool, len(groups))
		for _, to := range r.To {
			shareWeights(groups, to, weights, taken)
		}
		var out []LocalityGroup
		for i, g := range groups {
			if weights[i] > 0 {
				g.Weight = weights[i]
				out = append(out, g)
			}
		}
		return out
	}
	return groups
}

// shareWeights gives to.Weight to the untaken groups matching to.Locality.
func shareWeights(groups []LocalityGroup, to LocalityWeight, weights []uint32, taken []bool) {
	var matched []int
	var total uint64
	for i, g := range groups {
		if !taken[i] && localityMatch(ParseLocality(g.Locality), to.Locality) {
			taken[i] = true
			matched = append(matched, i)
			total += uint64(g.Weight)
		}
	}
	for _, i := range matched {
		share := (uint64(groups[i].Weight)*uint64(to.Weight) + total - 1) / total
		weights[i] = uint32(share)
	}
}

// byProximity ranks each group by its distance from the proxy (Envoy's
// default failover), a failover region's localities before other
// regions', composed with any priority already set, then compacts.
func byProximity(groups []LocalityGroup, proxy Locality, failover []LocalityFailover) []LocalityGroup {
	for i := range groups {
		ep := ParseLocality(groups[i].Locality)
		p := proximity(proxy, ep)
		if p == 3 && divertedElsewhere(proxy.Region, ep.Region, failover) {
			p = 4
		}
		groups[i].Priority = groups[i].Priority*5 + p
	}
	return compact(groups)
}

// divertedElsewhere: the first failover rule from the proxy's region names
// another region than the endpoint's.
func divertedElsewhere(proxyRegion, epRegion string, failover []LocalityFailover) bool {
	for _, f := range failover {
		if f.From == proxyRegion {
			return f.To != epRegion
		}
	}
	return false
}

// byFailoverPriority splits each group by how many leading priority labels
// its endpoints share with the proxy: all match is priority 0, the first
// mismatch at label j is len-j. A "label=value" entry compares with value
// instead of the proxy's label.
func byFailoverPriority(groups []LocalityGroup, v LocalityView, priorities []string) []LocalityGroup {
	proxy := topologyLabels(v.Labels, v.Locality, v.NodeName)
	var out []LocalityGroup
	for _, g := range groups {
		split := map[uint32][]Endpoint{}
		for _, ep := range g.Endpoints {
			p := labelPriority(proxy, topologyLabels(ep.Labels, g.Locality, ep.NodeName), priorities)
			split[p] = append(split[p], ep)
		}
		for _, p := range sortedKeys(split) {
			out = append(out, LocalityGroup{Locality: g.Locality, Priority: p, Weight: weightOf(split[p]), Endpoints: split[p]})
		}
	}
	return compact(out)
}

func labelPriority(proxy, ep map[string]string, priorities []string) uint32 {
	for j, entry := range priorities {
		name, value, override := strings.Cut(entry, "=")
		if !override {
			value = proxy[name]
		}
		if ep[name] != value {
			return uint32(len(priorities) - j)
		}
	}
	return 0
}

// compact renumbers priorities 0..N without gaps, keeping their order, as
// Envoy requires.
func compact(groups []LocalityGroup) []LocalityGroup {
	var ps []uint32
	for _, g := range groups {
		if !slices.Contains(ps, g.Priority) {
			ps = append(ps, g.Priority)
		}
	}
	slices.Sort(ps)
	for i := range groups {
		groups[i].Priority = uint32(slices.Index(ps, groups[i].Priority))
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].Priority < groups[j].Priority })
	return groups
}

func weightOf(eps []Endpoint) uint32 {
	var w uint32
	for _, ep := range eps {
		w += max(ep.Weight, 1)
	}
	return w
}

func sortedKeys(m map[uint32][]Endpoint) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
