package simulate

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// Stubs for the stages being written in parallel; each file that
// implements a stage deletes its stub here.

func (c *Config) matchListener(req *Request, res *Result) (*listenerv3.Listener, error) {
	return nil, cannot("listener selection (not written yet)")
}

func selectFilterChain(l *listenerv3.Listener, req *Request, res *Result) (*listenerv3.FilterChain, error) {
	return nil, cannot("filter chain selection (not written yet)")
}

func (c *Config) tcpProxy(f *listenerv3.Filter, req *Request, res *Result) error {
	return cannot("tcp_proxy (not written yet)")
}

func (c *Config) httpConnectionManager(f *listenerv3.Filter, req *Request, res *Result) error {
	return cannot("http_connection_manager (not written yet)")
}
