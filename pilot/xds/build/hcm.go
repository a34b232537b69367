package build

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
)

// HTTPFilterSet says which HTTP filters precede the router.
type HTTPFilterSet int

const (
	// SidecarFilters: fault and CORS, configured per route.
	SidecarFilters HTTPFilterSet = iota
	// ProxylessClientFilters: fault only; grpc-go has no CORS filter.
	ProxylessClientFilters
	// ProxylessServerFilters: router only; fault injection is client-side in grpc-go.
	ProxylessServerFilters
)

// HTTPFilters returns the filter chain, router last as both Envoy and grpc-go require.
func HTTPFilters(set HTTPFilterSet) []*hcmv3.HttpFilter {
	var out []*hcmv3.HttpFilter
	if set != ProxylessServerFilters {
		out = append(out, httpFilter(FilterFault, &faultv3.HTTPFault{}))
	}
	if set == SidecarFilters {
		out = append(out, httpFilter(FilterCors, &corsv3.Cors{}))
	}
	return append(out, httpFilter(FilterRouter, &routerv3.Router{}))
}

func httpFilter(name string, cfg proto.Message) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(cfg)}}
}

// HCMOptions describes one HTTP connection manager.
type HCMOptions struct {
	StatPrefix string
	// RDS names a route configuration fetched over ADS; Inline is used when empty.
	RDS     string
	Inline  *routev3.RouteConfiguration
	Filters HTTPFilterSet
}

// HTTPConnectionManager builds the manager itself, for API listeners.
func HTTPConnectionManager(o HCMOptions) *hcmv3.HttpConnectionManager {
	h := &hcmv3.HttpConnectionManager{
		StatPrefix:  o.StatPrefix,
		CodecType:   hcmv3.HttpConnectionManager_AUTO,
		HttpFilters: HTTPFilters(o.Filters),
	}
	if o.RDS != "" {
		h.RouteSpecifier = &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{ConfigSource: ADS(), RouteConfigName: o.RDS}}
	} else {
		h.RouteSpecifier = &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: o.Inline}
	}
	return h
}

// HCMFilter wraps the manager as a listener network filter.
func HCMFilter(o HCMOptions) *listenerv3.Filter {
	return &listenerv3.Filter{
		Name:       FilterHCM,
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(HTTPConnectionManager(o))},
	}
}
