package simulate

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// httpConnectionManager follows an HTTP request through the connection
// manager: route config, virtual host, route, the route's action, then the
// HTTP filters in order.
func (c *Config) httpConnectionManager(f *listenerv3.Filter, req *Request, res *Result) error {
	hcm := &hcmv3.HttpConnectionManager{}
	if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
		return cannot("http_connection_manager typed_config: %v", err)
	}
	if !req.Protocol.IsHTTP() {
		// The codec cannot parse the bytes: HTTP/1 answers 400 and closes.
		res.fail(400, "DPE", "%s request on an HTTP connection manager", req.Protocol)
		return nil
	}
	if err := checkPathHandling(hcm); err != nil {
		return err
	}
	rc, err := c.routeConfig(hcm, res)
	if err != nil || res.Failure != nil {
		return err
	}
	// Routing, filters and the upstream all see the manager's host and
	// path edits.
	edited := *req
	edited.Authority = hcmHost(hcm, req)
	if hcm.GetNormalizePath().GetValue() {
		edited.Path = normalizePath(req.Path)
		if edited.Path != req.Path {
			res.step("normalize-path", "%s normalised to %s", req.Path, edited.Path)
		}
	}
	req = &edited
	m, err := routeRequest(rc, req, res)
	if err != nil || res.Failure != nil {
		return err
	}
	if err := buildAction(rc, m, req, res); err != nil || res.Failure != nil {
		return err
	}
	return runHTTPFilters(hcm.GetHttpFilters(), rc, m, req, res)
}

// routeConfig is the route table the manager holds: inline, or fetched
// over RDS by name.
func (c *Config) routeConfig(hcm *hcmv3.HttpConnectionManager, res *Result) (*routev3.RouteConfiguration, error) {
	switch spec := hcm.GetRouteSpecifier().(type) {
	case *hcmv3.HttpConnectionManager_RouteConfig:
		res.RouteConfig = spec.RouteConfig.GetName()
		res.step("route-config", "inline %q", res.RouteConfig)
		return spec.RouteConfig, nil
	case *hcmv3.HttpConnectionManager_Rds:
		return c.rdsRouteConfig(spec.Rds.GetRouteConfigName(), res), nil
	}
	return nil, cannot("http_connection_manager route_specifier %T", hcm.GetRouteSpecifier())
}

// rdsRouteConfig: an RDS config the proxy never received leaves the
// manager with an empty route table once the listener stops warming
// (ConfigSource.initial_fetch_timeout, 15s by default), so every request
// gets 404 with flag NR.
func (c *Config) rdsRouteConfig(name string, res *Result) *routev3.RouteConfiguration {
	res.RouteConfig = name
	rc, ok := c.Routes[name]
	if !ok {
		res.fail(404, "NR", "route config %q not received over RDS: the route table is empty", name)
		return nil
	}
	res.step("route-config", "RDS %q", name)
	return rc
}

// checkPathHandling refuses the path normalisations the simulator does
// not model (normalize_path it does): they change the path routes match
// against.
func checkPathHandling(hcm *hcmv3.HttpConnectionManager) error {
	switch {
	case hcm.GetMergeSlashes():
		return cannot("http_connection_manager merge_slashes")
	case hcm.GetPathWithEscapedSlashesAction() > hcmv3.HttpConnectionManager_KEEP_UNCHANGED:
		return cannot("http_connection_manager path_with_escaped_slashes_action")
	case hcm.GetPathNormalizationOptions() != nil:
		return cannot("http_connection_manager path_normalization_options")
	}
	return nil
}
