package mesh

import (
	"slices"
	"strconv"
	"strings"
)

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// indexLocality collects the failoverPriority labels any cluster (or the
// mesh default) names, the proxy labels endpoint views depend on.
func (m *Mesh) indexLocality() {
	m.failoverLabels = nil
	add := func(lb *LocalityLB) {
		if lb == nil {
			return
		}
		for _, entry := range lb.FailoverPriority {
			name, _, _ := strings.Cut(entry, "=")
			if !slices.Contains(m.failoverLabels, name) {
				m.failoverLabels = append(m.failoverLabels, name)
			}
		}
	}
	add(m.LocalityLB)
	for _, c := range m.Clusters {
		add(c.Policy.LocalityLB)
	}
	slices.Sort(m.failoverLabels)
	m.indexDNSLocality()
}

// DNSLocalitySensitive reports whether a DNS cluster's inline endpoints
// can differ by proxy locality: several localities, distribute weights or
// failoverPriority labels. Only then do clusters depend on the view.
func (m *Mesh) DNSLocalitySensitive() bool { return m.dnsLocality }

func (m *Mesh) indexDNSLocality() {
	m.dnsLocality = false
	for _, c := range m.Clusters {
		if c.Service.Resolution != ResolutionDNS {
			continue
		}
		lb := EffectiveLocalityLB(c.Policy.LocalityLB, m.LocalityLB)
		if lb != nil && (len(GroupByLocality(c.Endpoints())) > 1 || len(lb.Distribute) > 0 || len(lb.FailoverPriority) > 0) {
			m.dnsLocality = true
			return
		}
	}
}

// LocalityViewKey names everything of v that endpoint priorities and
// weights read: proxies with equal keys receive the same endpoints, so
// endpoints are built once per distinct key rather than per proxy.
func (m *Mesh) LocalityViewKey(v LocalityView) string {
	var b strings.Builder
	b.WriteString(ParseLocality(v.Locality).String())
	topo := topologyLabels(v.Labels, v.Locality, v.NodeName)
	for _, name := range m.failoverLabels {
		b.WriteString("|" + name + "=" + topo[name])
	}
	return b.String()
}
