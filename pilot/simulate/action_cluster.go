package simulate

import (
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// setClusters records where the route sends requests. weighted_clusters
// split by weight over the sum of the weights: Envoy ignores the
// deprecated total_weight and uses the sum.
func setClusters(a *routev3.RouteAction, req *Request, res *Result) error {
	switch spec := a.GetClusterSpecifier().(type) {
	case *routev3.RouteAction_Cluster:
		res.Action.Clusters = []WeightedCluster{{Name: spec.Cluster, Weight: 1, Probability: 1}}
		res.step("action", "route to cluster %s", spec.Cluster)
		return nil
	case *routev3.RouteAction_WeightedClusters:
		return setWeightedClusters(spec.WeightedClusters, req, res)
	case *routev3.RouteAction_ClusterHeader:
		return cannot("route %s cluster_header %s (the cluster is named by a request header)", res.Route, spec.ClusterHeader)
	}
	return cannot("route %s cluster specifier %T", res.Route, a.GetClusterSpecifier())
}

func setWeightedClusters(wc *routev3.WeightedCluster, req *Request, res *Result) error {
	var total uint64
	for _, c := range wc.GetClusters() {
		if c.GetName() == "" {
			return cannot("route %s weighted cluster cluster_header %s", res.Route, c.GetClusterHeader())
		}
		total += uint64(c.GetWeight().GetValue())
	}
	if total == 0 {
		return cannot("route %s weighted_clusters: total weight 0", res.Route)
	}
	for _, c := range wc.GetClusters() {
		w := c.GetWeight().GetValue()
		res.Action.Clusters = append(res.Action.Clusters, WeightedCluster{Name: c.GetName(), Weight: w, Probability: float64(w) / float64(total)})
	}
	pickByHeader(wc, total, req, res)
	res.step("action", "route to weighted clusters %s", describeSplit(res.Action.Clusters))
	return nil
}

// pickByHeader: with header_name, Envoy picks the cluster from the
// header's integer value (modulo the total weight) instead of a random
// number, so a request carrying it goes to one cluster for certain.
func pickByHeader(wc *routev3.WeightedCluster, total uint64, req *Request, res *Result) {
	v, ok := req.header(wc.GetHeaderName())
	n, err := strconv.ParseUint(v, 10, 64)
	if wc.GetHeaderName() == "" || !ok || err != nil {
		return
	}
	selected, begin := n%total, uint64(0)
	for _, c := range res.Action.Clusters {
		if end := begin + uint64(c.Weight); selected < end {
			c.Probability = 1
			res.Action.Clusters = []WeightedCluster{c}
			res.step("action", "header %s=%d picks %s", wc.GetHeaderName(), n, c.Name)
			return
		}
		begin += uint64(c.Weight)
	}
}

func describeSplit(cs []WeightedCluster) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + " " + percentString(c.Probability)
	}
	return strings.Join(parts, ", ")
}

// selectedClusterWeight is the weighted cluster every request goes to,
// when there is one: only then do its header changes apply to the route's
// whole traffic.
func selectedClusterWeight(a *routev3.RouteAction, res *Result) *routev3.WeightedCluster_ClusterWeight {
	for _, c := range res.Action.Clusters {
		if c.Probability == 1 {
			return findClusterWeight(a.GetWeightedClusters(), c.Name)
		}
	}
	return nil
}

func findClusterWeight(wc *routev3.WeightedCluster, name string) *routev3.WeightedCluster_ClusterWeight {
	for _, c := range wc.GetClusters() {
		if c.GetName() == name {
			return c
		}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
