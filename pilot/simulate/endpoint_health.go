package simulate

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// defaultPanicThreshold is Envoy's healthy_panic_threshold default.
const defaultPanicThreshold = 50.0

// checkHosts decides whether Envoy has a host to send to. With no host at
// all it answers 503 UH (tcp_proxy closes). With hosts but none available
// (healthy or degraded), Envoy's panic threshold (50% unless set) makes it
// balance across all of them regardless of health; only a threshold of 0
// disables panic mode and gives UH.
func (c *Config) checkHosts(cl *clusterv3.Cluster, hosts []host, req *Request, res *Result) {
	name := cl.GetName()
	if len(hosts) == 0 {
		failUpstream(req, res, "UH", "cluster %s has no endpoints%s", name, c.noHostsReason(cl))
		return
	}
	res.step("endpoints", "%s: %d of %d hosts healthy%s", name, countHealthy(hosts), len(hosts), degradedNote(hosts))
	describeLocalities(cl, hosts, res)
	pct := availablePercent(hosts)
	threshold := panicThreshold(cl)
	switch {
	case pct == 0 && threshold == 0:
		failUpstream(req, res, "UH", "cluster %s has no healthy endpoint and panic mode is disabled (healthy_panic_threshold 0)", name)
	case pct < threshold:
		res.step("endpoints", "%s: %.0f%% available is below the %.0f%% panic threshold: Envoy balances across all hosts regardless of health", name, pct, threshold)
	}
}

// noHostsReason says why an EDS cluster is empty when no assignment for
// it is held at all, a common gap in Envoy config dumps.
func (c *Config) noHostsReason(cl *clusterv3.Cluster) string {
	switch cl.GetType() {
	case clusterv3.Cluster_EDS:
		if _, ok := c.Endpoints[edsServiceName(cl)]; !ok {
			return " (no ClusterLoadAssignment for " + edsServiceName(cl) + "; Envoy's /config_dump includes endpoints only with ?include_eds)"
		}
	case clusterv3.Cluster_STATIC:
		return " (a STATIC cluster with no load_assignment drops everything, as BlackHoleCluster is meant to)"
	}
	return ""
}

func countHealthy(hosts []host) int {
	n := 0
	for _, h := range hosts {
		if h.Healthy {
			n++
		}
	}
	return n
}

func degradedNote(hosts []host) string {
	for _, h := range hosts {
		if h.degraded {
			return " (degraded hosts take traffic only when healthy ones are too few)"
		}
	}
	return ""
}

// availablePercent is the share of hosts that are healthy or degraded,
// the figure Envoy compares with the panic threshold. Priorities are not
// weighed separately: the simulator lists every host with its priority.
func availablePercent(hosts []host) float64 {
	n := 0
	for _, h := range hosts {
		if h.Healthy || h.degraded {
			n++
		}
	}
	return 100 * float64(n) / float64(len(hosts))
}

func panicThreshold(cl *clusterv3.Cluster) float64 {
	if p := cl.GetCommonLbConfig().GetHealthyPanicThreshold(); p != nil {
		return p.GetValue()
	}
	return defaultPanicThreshold
}
