package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// VirtualService defines traffic routing rules for a set of hosts.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=vs,categories={istio-io,networking-istio-io}
// +kubebuilder:printcolumn:name="Gateways",type=string,JSONPath=".spec.gateways",description="The names of gateways and sidecars that should apply these routes"
// +kubebuilder:printcolumn:name="Hosts",type=string,JSONPath=".spec.hosts",description="The destination hosts to which traffic is being sent"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type VirtualService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   VirtualServiceSpec `json:"spec,omitempty"`
	Status IstioStatus        `json:"status,omitempty"`
}

// VirtualServiceList is a list of VirtualServices.
// +kubebuilder:object:root=true
type VirtualServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VirtualService `json:"items"`
}

// VirtualServiceSpec is the routing configuration for the listed hosts.
type VirtualServiceSpec struct {
	// Hosts the rules apply to; "*" and "*.example.com" wildcards allowed.
	Hosts []string `json:"hosts,omitempty"`
	// Gateways the rules apply to; "mesh" means all sidecars.
	Gateways []string `json:"gateways,omitempty"`
	// HTTP routes, evaluated in order; the first match wins.
	HTTP []HTTPRoute `json:"http,omitempty"`
	// TLS routes for unterminated TLS/HTTPS traffic, matched on SNI.
	TLS []TLSRoute `json:"tls,omitempty"`
	// TCP routes for opaque TCP traffic.
	TCP []TCPRoute `json:"tcp,omitempty"`
	// ExportTo lists namespaces this VirtualService is visible to ("." or "*").
	ExportTo []string `json:"exportTo,omitempty"`
}

// HTTPRoute describes match conditions and actions for HTTP/1.1, HTTP2 and gRPC.
type HTTPRoute struct {
	Name  string             `json:"name,omitempty"`
	Match []HTTPMatchRequest `json:"match,omitempty"`
	// Route forwards to weighted destinations.
	Route []HTTPRouteDestination `json:"route,omitempty"`
	// Redirect, DirectResponse and Delegate are alternatives to Route.
	Redirect       *HTTPRedirect       `json:"redirect,omitempty"`
	DirectResponse *HTTPDirectResponse `json:"directResponse,omitempty"`
	Delegate       *Delegate           `json:"delegate,omitempty"`
	Rewrite        *HTTPRewrite        `json:"rewrite,omitempty"`
	Timeout        *Duration           `json:"timeout,omitempty"`
	Retries        *HTTPRetry          `json:"retries,omitempty"`
	Fault          *HTTPFaultInjection `json:"fault,omitempty"`
	// Mirror sends a copy of the traffic to another destination.
	Mirror  *Destination       `json:"mirror,omitempty"`
	Mirrors []HTTPMirrorPolicy `json:"mirrors,omitempty"`
	// MirrorPercent is the deprecated integer form of MirrorPercentage.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	MirrorPercent    *uint32     `json:"mirrorPercent,omitempty"`
	MirrorPercentage *Percent    `json:"mirrorPercentage,omitempty"`
	CorsPolicy       *CorsPolicy `json:"corsPolicy,omitempty"`
	Headers          *Headers    `json:"headers,omitempty"`
}

// HTTPMatchRequest is a set of conditions that must all hold for a route to match.
type HTTPMatchRequest struct {
	Name      string       `json:"name,omitempty"`
	URI       *StringMatch `json:"uri,omitempty"`
	Scheme    *StringMatch `json:"scheme,omitempty"`
	Method    *StringMatch `json:"method,omitempty"`
	Authority *StringMatch `json:"authority,omitempty"`
	// Headers keys are lowercase header names.
	Headers map[string]StringMatch `json:"headers,omitempty"`
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	Port            uint32                 `json:"port,omitempty"`
	SourceLabels    map[string]string      `json:"sourceLabels,omitempty"`
	Gateways        []string               `json:"gateways,omitempty"`
	QueryParams     map[string]StringMatch `json:"queryParams,omitempty"`
	IgnoreURICase   bool                   `json:"ignoreUriCase,omitempty"`
	WithoutHeaders  map[string]StringMatch `json:"withoutHeaders,omitempty"`
	SourceNamespace string                 `json:"sourceNamespace,omitempty"`
	StatPrefix      string                 `json:"statPrefix,omitempty"`
}

// HTTPRouteDestination is a weighted destination with its own header edits.
type HTTPRouteDestination struct {
	Destination Destination `json:"destination"`
	// Weight is the relative share of traffic: a destination receives
	// weight/(sum of the route's weights), so weights need not sum to 100.
	// A lone destination receives all traffic; otherwise weight 0 (the
	// default) receives none. Negative weights, and several destinations
	// all weighing 0, are invalid.
	Weight  int32    `json:"weight,omitempty"`
	Headers *Headers `json:"headers,omitempty"`
}

// Headers holds request and response header manipulations.
type Headers struct {
	Request  *HeaderOperations `json:"request,omitempty"`
	Response *HeaderOperations `json:"response,omitempty"`
}

// HeaderOperations sets, appends or removes headers.
type HeaderOperations struct {
	Set    map[string]string `json:"set,omitempty"`
	Add    map[string]string `json:"add,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// HTTPRedirect answers with a 301 (or RedirectCode) to a rewritten location.
type HTTPRedirect struct {
	URI       string `json:"uri,omitempty"`
	Authority string `json:"authority,omitempty"`
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	Port uint32 `json:"port,omitempty"`
	// +kubebuilder:validation:Enum=FROM_PROTOCOL_DEFAULT;FROM_REQUEST_PORT
	DerivePort string `json:"derivePort,omitempty"`
	Scheme     string `json:"scheme,omitempty"`
	// +kubebuilder:validation:Maximum=599
	// +kubebuilder:validation:Minimum=0
	RedirectCode uint32 `json:"redirectCode,omitempty"`
}

// HTTPDirectResponse answers the request with a fixed status and body.
type HTTPDirectResponse struct {
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	Status uint32    `json:"status"`
	Body   *HTTPBody `json:"body,omitempty"`
}

// HTTPBody is a response body given as text or base64 bytes (one of).
type HTTPBody struct {
	String string `json:"string,omitempty"`
	Bytes  []byte `json:"bytes,omitempty"`
}

// HTTPRewrite rewrites the URI and/or authority before forwarding.
type HTTPRewrite struct {
	URI             string        `json:"uri,omitempty"`
	Authority       string        `json:"authority,omitempty"`
	URIRegexRewrite *RegexRewrite `json:"uriRegexRewrite,omitempty"`
}

// RegexRewrite replaces RE2 Match with Rewrite (which may use \1 groups).
type RegexRewrite struct {
	Match   string `json:"match,omitempty"`
	Rewrite string `json:"rewrite,omitempty"`
}

// HTTPRetry is the retry policy of a route.
type HTTPRetry struct {
	// +kubebuilder:validation:Minimum=0
	Attempts      int32     `json:"attempts,omitempty"`
	PerTryTimeout *Duration `json:"perTryTimeout,omitempty"`
	// RetryOn is Envoy's comma-separated retry conditions (e.g. "5xx,connect-failure").
	RetryOn                  string    `json:"retryOn,omitempty"`
	RetryRemoteLocalities    *bool     `json:"retryRemoteLocalities,omitempty"`
	RetryIgnorePreviousHosts *bool     `json:"retryIgnorePreviousHosts,omitempty"`
	Backoff                  *Duration `json:"backoff,omitempty"`
}

// HTTPFaultInjection injects delays and/or aborts into matched requests.
type HTTPFaultInjection struct {
	Delay *FaultDelay `json:"delay,omitempty"`
	Abort *FaultAbort `json:"abort,omitempty"`
}

// FaultDelay delays a percentage of requests by FixedDelay.
type FaultDelay struct {
	FixedDelay       *Duration `json:"fixedDelay,omitempty"`
	ExponentialDelay *Duration `json:"exponentialDelay,omitempty"`
	Percentage       *Percent  `json:"percentage,omitempty"`
	// Percent is the deprecated integer form of Percentage.
	Percent int32 `json:"percent,omitempty"`
}

// FaultAbort aborts a percentage of requests with an HTTP or gRPC status.
type FaultAbort struct {
	HTTPStatus int32    `json:"httpStatus,omitempty"`
	GRPCStatus string   `json:"grpcStatus,omitempty"`
	HTTP2Error string   `json:"http2Error,omitempty"`
	Percentage *Percent `json:"percentage,omitempty"`
}

// HTTPMirrorPolicy mirrors a percentage of traffic to a destination.
type HTTPMirrorPolicy struct {
	Destination Destination `json:"destination"`
	Percentage  *Percent    `json:"percentage,omitempty"`
}

// CorsPolicy is the CORS policy of a route.
type CorsPolicy struct {
	// AllowOrigin is the deprecated exact-match form of AllowOrigins.
	AllowOrigin      []string      `json:"allowOrigin,omitempty"`
	AllowOrigins     []StringMatch `json:"allowOrigins,omitempty"`
	AllowMethods     []string      `json:"allowMethods,omitempty"`
	AllowHeaders     []string      `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string      `json:"exposeHeaders,omitempty"`
	MaxAge           *Duration     `json:"maxAge,omitempty"`
	AllowCredentials *bool         `json:"allowCredentials,omitempty"`
	// +kubebuilder:validation:Enum=UNSPECIFIED;FORWARD;IGNORE
	UnmatchedPreflights string `json:"unmatchedPreflights,omitempty"`
}

// Delegate hands an HTTP route over to another VirtualService.
type Delegate struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// TCPRoute routes opaque TCP traffic.
type TCPRoute struct {
	Match []L4MatchAttributes `json:"match,omitempty"`
	Route []RouteDestination  `json:"route,omitempty"`
}

// L4MatchAttributes are L4 conditions for TCP routes.
type L4MatchAttributes struct {
	DestinationSubnets []string `json:"destinationSubnets,omitempty"`
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	Port            uint32            `json:"port,omitempty"`
	SourceLabels    map[string]string `json:"sourceLabels,omitempty"`
	Gateways        []string          `json:"gateways,omitempty"`
	SourceNamespace string            `json:"sourceNamespace,omitempty"`
}

// RouteDestination is a weighted L4 destination.
type RouteDestination struct {
	Destination Destination `json:"destination"`
	// Weight is the relative share of traffic, as for HTTP routes: a
	// destination receives weight/(sum of the route's weights).
	Weight int32 `json:"weight,omitempty"`
}

// TLSRoute routes unterminated TLS traffic by SNI.
type TLSRoute struct {
	// +required
	Match []TLSMatchAttributes `json:"match,omitempty"`
	Route []RouteDestination   `json:"route,omitempty"`
}

// TLSMatchAttributes are SNI and L4 conditions for TLS routes.
type TLSMatchAttributes struct {
	// +required
	SniHosts           []string `json:"sniHosts,omitempty"`
	DestinationSubnets []string `json:"destinationSubnets,omitempty"`
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	Port            uint32            `json:"port,omitempty"`
	SourceLabels    map[string]string `json:"sourceLabels,omitempty"`
	Gateways        []string          `json:"gateways,omitempty"`
	SourceNamespace string            `json:"sourceNamespace,omitempty"`
}
