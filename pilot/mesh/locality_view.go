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
}

// LocalityViewKey names everything of v that endpoint priorities and
// weights read: proxies with equal keys receive the same endpoints, so
// endpoints are built once per distinct key rather than per proxy.
func (m *Mesh) LocalityViewKey(v LocalityView) string {
	var b strings.Builder
	b.WriteString(ParseLocality(v.Locality).String())
	topo := topologyLabels(v.Labels, v.Locality)
	for _, name := range m.failoverLabels {
		b.WriteString("|" + name + "=" + topo[name])
	}
	return b.String()
}
