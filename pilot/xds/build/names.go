package build

// Well-known Envoy filter names; per-route filter config is keyed by them.
const (
	FilterFault  = "envoy.filters.http.fault"
	FilterCors   = "envoy.filters.http.cors"
	FilterRouter = "envoy.filters.http.router"
	FilterHCM    = "envoy.filters.network.http_connection_manager"
	FilterTCP    = "envoy.filters.network.tcp_proxy"
)
