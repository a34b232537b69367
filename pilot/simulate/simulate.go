package simulate

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// Well-known network filter names (Envoy's typed config names them too).
const (
	filterHCM      = "envoy.filters.network.http_connection_manager"
	filterTCPProxy = "envoy.filters.network.tcp_proxy"
)

// Simulate follows req through c. It returns a Result (with Failure set
// when the proxy answers or closes instead of forwarding), or a
// *CannotSimulateError for config it does not model.
func Simulate(c *Config, req Request) (*Result, error) {
	res := &Result{}
	l, fc, err := c.connection(&req, res)
	if err != nil || res.Failure != nil {
		return res, err
	}
	if err := c.networkFilters(l, fc, &req, res); err != nil || res.Failure != nil {
		return res, err
	}
	for _, wc := range res.Action.Clusters {
		if err := c.upstream(wc.Name, &req, res); err != nil {
			return res, err
		}
		if res.Failure != nil {
			return res, nil
		}
	}
	return res, nil
}

// connection picks the listener and filter chain that take the connection
// (listener.go, filterchain.go).
func (c *Config) connection(req *Request, res *Result) (*listenerv3.Listener, *listenerv3.FilterChain, error) {
	l, err := c.matchListener(req, res)
	if err != nil || res.Failure != nil {
		return nil, nil, err
	}
	fc, err := selectFilterChain(l, req, res)
	if err != nil || res.Failure != nil {
		return nil, nil, err
	}
	return l, fc, nil
}

// networkFilters runs the chain's terminal network filter: the HTTP
// connection manager (http.go) or the TCP proxy (tcp.go).
func (c *Config) networkFilters(l *listenerv3.Listener, fc *listenerv3.FilterChain, req *Request, res *Result) error {
	for i, f := range fc.GetFilters() {
		switch f.GetName() {
		case filterHCM:
			res.NetworkFilter = filterHCM
			return c.httpConnectionManager(f, req, res)
		case filterTCPProxy:
			res.NetworkFilter = filterTCPProxy
			return c.tcpProxy(f, req, res)
		default:
			if !passThroughNetworkFilter(f.GetName()) {
				return cannot("listener %s filter chain %q filters[%d] %s", l.GetName(), fc.GetName(), i, f.GetName())
			}
		}
	}
	return cannot("listener %s filter chain %q: no terminal network filter", l.GetName(), fc.GetName())
}

// passThroughNetworkFilter: filters that observe but do not decide
// routing (stats, metadata exchange).
func passThroughNetworkFilter(name string) bool {
	switch name {
	case "istio.metadata_exchange", "istio.stats", "envoy.filters.network.connection_limit":
		return true
	}
	return false
}
