package offline

import "github.com/weftmesh/weft/pilot/simulate"

// checkConnection compares the first upstream's protocol, connection
// limits, outlier detection, discovery type and DNS settings, and the TCP
// proxy's limits.
func (w Want) checkConnection(r *simulate.Result, diff func(string, any, any)) {
	if w.TCP != nil && (r.Action.TCP == nil || *r.Action.TCP != *w.TCP) {
		diff("tcp proxy limits", r.Action.TCP, *w.TCP)
	}
	if w.UpstreamProtocol == "" && w.Connection == nil && w.Outlier == nil && w.ClusterType == "" && w.DNS == nil {
		return
	}
	if len(r.Upstreams) == 0 {
		diff("upstreams", nil, "at least one")
		return
	}
	u := r.Upstreams[0]
	if w.UpstreamProtocol != "" && u.Protocol != w.UpstreamProtocol {
		diff("upstream protocol", u.Protocol, w.UpstreamProtocol)
	}
	if w.Connection != nil && (u.Connection == nil || *u.Connection != *w.Connection) {
		diff("connection limits", u.Connection, *w.Connection)
	}
	if w.Outlier != nil && (u.Outlier == nil || *u.Outlier != *w.Outlier) {
		diff("outlier detection", u.Outlier, *w.Outlier)
	}
	if w.ClusterType != "" && u.Type != w.ClusterType {
		diff("cluster type", u.Type, w.ClusterType)
	}
	if w.DNS != nil && (u.DNS == nil || *u.DNS != *w.DNS) {
		diff("dns resolution", u.DNS, *w.DNS)
	}
}
