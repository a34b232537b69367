package simulate

import (
	"fmt"
	"time"
)

// Direction says which side of the proxy a request comes from.
type Direction int

const (
	// Outbound: the application calls out; iptables redirects the
	// connection to the outbound capture listener, keeping the original
	// destination.
	Outbound Direction = iota
	// Inbound: a peer calls the application; iptables redirects to the
	// inbound capture listener.
	Inbound
)

func (d Direction) String() string {
	if d == Inbound {
		return "inbound"
	}
	return "outbound"
}

// Protocol is the application protocol a request speaks.
type Protocol string

const (
	HTTP1 Protocol = "http/1.1"
	HTTP2 Protocol = "h2"
	GRPC  Protocol = "grpc" // HTTP/2 with content-type application/grpc
	TCP   Protocol = "tcp"  // opaque bytes
)

// IsHTTP reports whether p is one of the HTTP protocols.
func (p Protocol) IsHTTP() bool { return p == HTTP1 || p == HTTP2 || p == GRPC }

// TLS describes the TLS the downstream client speaks, when it does.
type TLS struct {
	SNI  string   `json:"sni,omitempty"`
	ALPN []string `json:"alpn,omitempty"`
	// ClientID is the SPIFFE ID of the client certificate (mTLS); empty
	// for TLS without a client certificate.
	ClientID string `json:"clientID,omitempty"`
}

// Request is one request (or TCP connection) as the proxy sees it.
type Request struct {
	Direction Direction `json:"direction,omitempty"`
	// Target is the name a proxyless gRPC client dials (reviews.default:9080,
	// without xds:///): it selects an API listener by name. Empty for Envoy.
	Target   string   `json:"target,omitempty"`
	DestIP   string   `json:"destIP,omitempty"`
	DestPort uint32   `json:"destPort,omitempty"`
	SourceIP string   `json:"sourceIP,omitempty"`
	Protocol Protocol `json:"protocol,omitempty"`
	TLS      *TLS     `json:"tls,omitempty"` // nil: plaintext
	// HTTP only. Authority is the Host / :authority header; Path includes
	// the query string. Header names are lower case.
	Authority string            `json:"authority,omitempty"`
	Method    string            `json:"method,omitempty"`
	Path      string            `json:"path,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
}

// Result is what the proxy does with a request, stage by stage.
type Result struct {
	Listener    string `json:"listener,omitempty"`
	FilterChain string `json:"filterChain,omitempty"`
	// DownstreamTLS is "terminated" when the filter chain ended the
	// client's TLS (istiod gives a port's chains one name, so the name
	// alone does not say which one matched).
	DownstreamTLS string `json:"downstreamTLS,omitempty"`
	// NetworkFilter is the filter that handles the connection: the HTTP
	// connection manager or the TCP proxy.
	NetworkFilter string `json:"networkFilter,omitempty"`

	RouteConfig string `json:"routeConfig,omitempty"`
	VirtualHost string `json:"virtualHost,omitempty"`
	// Route is the matched route's name, or "#N" (its 0-based index) when
	// it has none.
	Route string `json:"route,omitempty"`
	// Action is what the route (or TCP proxy) does.
	Action Action `json:"action,omitempty"`
	// Filters are the HTTP filters the request passes, with their decision.
	Filters []FilterDecision `json:"filters,omitempty"`
	// Upstreams are the clusters the request may go to, one per weighted
	// cluster, with what carries it there.
	Upstreams []Upstream `json:"upstreams,omitempty"`

	// Failure is set when the proxy answers or closes instead of
	// forwarding; later stages are then empty.
	Failure *Failure `json:"failure,omitempty"`
	// Trace is one line per stage, for people.
	Trace []Step `json:"trace,omitempty"`
}

// Step is one stage's decision, for the human-readable trace.
type Step struct {
	Stage  string `json:"stage,omitempty"` // listener, filter-chain, route-config, virtual-host, route, action, filter, cluster, endpoints
	Detail string `json:"detail,omitempty"`
}

// Action is what a route or TCP proxy does with the request.
type Action struct {
	// Clusters are the destinations with their weights; Probability is the
	// share of requests each receives (weight / total weight).
	Clusters       []WeightedCluster `json:"clusters,omitempty"`
	Redirect       *Redirect         `json:"redirect,omitempty"`
	DirectResponse *DirectResponse   `json:"directResponse,omitempty"`
	Timeout        *time.Duration    `json:"timeout,omitempty"` // nil: Envoy's default (15s for routes)
	Retry          *Retry            `json:"retry,omitempty"`
	Fault          *Fault            `json:"fault,omitempty"`
	Mirrors        []Mirror          `json:"mirrors,omitempty"`
	// RequestHeaders are the header changes applied to the request on its
	// way upstream (route, virtual host and route config levels, in
	// Envoy's order); ResponseHeaders on the way back.
	RequestHeaders  HeaderChanges `json:"requestHeaders,omitempty"`
	ResponseHeaders HeaderChanges `json:"responseHeaders,omitempty"`
	// Rewrite is the path and authority after prefix/regex/host rewrites,
	// when a rewrite applies.
	RewritePath      string `json:"rewritePath,omitempty"`
	RewriteAuthority string `json:"rewriteAuthority,omitempty"`
	// HashOn is what consistent hashing keys on (see hashKeys); empty
	// when the route sets no hash policy.
	HashOn []string `json:"hashOn,omitempty"`
	// TCP holds a TCP proxy's connection limits; nil for HTTP routes.
	TCP *TCPLimits `json:"tcp,omitempty"`
}

// WeightedCluster is one destination of a route.
type WeightedCluster struct {
	Name        string  `json:"name,omitempty"`
	Weight      uint32  `json:"weight,omitempty"`
	Probability float64 `json:"probability,omitempty"`
}

// Redirect is a 3xx answer.
type Redirect struct {
	Code     int    `json:"code,omitempty"`
	Location string `json:"location,omitempty"`
}

// DirectResponse is an answer from the proxy itself.
type DirectResponse struct {
	Status int    `json:"status,omitempty"`
	Body   string `json:"body,omitempty"`
}

// Retry is the effective retry policy.
type Retry struct {
	Attempts      uint32         `json:"attempts,omitempty"`
	PerTryTimeout *time.Duration `json:"perTryTimeout,omitempty"`
	RetryOn       []string       `json:"retryOn,omitempty"`
	// StatusCodes are retriable_status_codes, acted on under the
	// retriable-status-codes condition.
	StatusCodes    []uint32       `json:"statusCodes,omitempty"`
	Backoff        *time.Duration `json:"backoff,omitempty"` // base interval; nil: Envoy's 25ms
	Priority       string         `json:"priority,omitempty"`
	HostPredicates []string       `json:"hostPredicates,omitempty"`
}

// Fault is the fault the route injects, with the probability it applies.
type Fault struct {
	Delay            *time.Duration `json:"delay,omitempty"`
	DelayProbability float64        `json:"delayProbability,omitempty"`
	AbortStatus      int            `json:"abortStatus,omitempty"` // HTTP status, or 0 with AbortGRPCStatus
	AbortGRPCStatus  int            `json:"abortGRPCStatus,omitempty"`
	AbortProbability float64        `json:"abortProbability,omitempty"`
}

// Mirror is a shadow copy of the request.
type Mirror struct {
	Cluster     string  `json:"cluster,omitempty"`
	Probability float64 `json:"probability,omitempty"`
}

// HeaderChanges are the header edits at one point.
type HeaderChanges struct {
	Set    map[string]string `json:"set,omitempty"`    // overwrite
	Append map[string]string `json:"append,omitempty"` // add, keeping existing values
	Remove []string          `json:"remove,omitempty"`
}

// FilterDecision is what one HTTP filter does with the request.
type FilterDecision struct {
	Filter   string `json:"filter,omitempty"`   // e.g. envoy.filters.http.rbac
	Decision string `json:"decision,omitempty"` // e.g. "allow", "deny (policy ns-deny)", "pass"
}

// Upstream is one cluster the request may go to.
type Upstream struct {
	Cluster string `json:"cluster,omitempty"`
	Type    string `json:"type,omitempty"` // EDS, STRICT_DNS, LOGICAL_DNS, STATIC, ORIGINAL_DST
	LB      string `json:"lb,omitempty"`   // ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV
	// TransportSocket is how the proxy talks to the endpoints: plaintext,
	// istio-mtls (Istio's ISTIO_MUTUAL: the workload certificate, SANs of
	// the destination's identities) or tls (SIMPLE/MUTUAL with user
	// certificates). Per endpoint when transport_socket_matches choose.
	TransportSocket string   `json:"transportSocket,omitempty"`
	SNI             string   `json:"sni,omitempty"`
	SANs            []string `json:"sans,omitempty"`
	// ClientCertificate and TrustedCA name the secrets of a TLS socket: the
	// certificate presented (none for SIMPLE) and the roots the server is
	// verified against ("none": not verified).
	ClientCertificate string `json:"clientCertificate,omitempty"`
	TrustedCA         string `json:"trustedCA,omitempty"`
	// ALPN is what the TLS socket offers the server: on Istio mTLS what
	// the server's chains match to tell a mesh client. (Istio's istio.alpn
	// HTTP filter, which weft does not send, would override it per request.)
	ALPN []string `json:"alpn,omitempty"`
	// CircuitBreakers are the thresholds (max connections, pending and
	// requests, retries) at default priority; nil when unset.
	CircuitBreakers *CircuitBreakers `json:"circuitBreakers,omitempty"`
	// Protocol, Connection and Outlier: see cluster_conn.go.
	Protocol   string            `json:"protocol,omitempty"`
	Connection *ConnectionLimits `json:"connection,omitempty"`
	Outlier    *Outlier          `json:"outlier,omitempty"`
	DNS        *DNSResolution    `json:"dns,omitempty"`
	Endpoints  []Endpoint        `json:"endpoints,omitempty"`
}

// CircuitBreakers are a cluster's default-priority thresholds.
type CircuitBreakers struct {
	MaxConnections     uint32 `json:"maxConnections,omitempty"`
	MaxPendingRequests uint32 `json:"maxPendingRequests,omitempty"`
	MaxRequests        uint32 `json:"maxRequests,omitempty"`
	MaxRetries         uint32 `json:"maxRetries,omitempty"`
}

// Endpoint is one upstream host.
type Endpoint struct {
	Address  string `json:"address,omitempty"` // ip:port, or a socket path
	Weight   uint32 `json:"weight,omitempty"`
	Locality string `json:"locality,omitempty"` // region/zone/subzone
	Priority uint32 `json:"priority,omitempty"`
	// LocalityWeight is the load_balancing_weight of the host's locality.
	LocalityWeight uint32 `json:"localityWeight,omitempty"`
	Healthy        bool   `json:"healthy,omitempty"`
	// TransportSocket overrides Upstream.TransportSocket for this endpoint
	// (transport_socket_matches on endpoint metadata, e.g. tlsMode=istio).
	TransportSocket string `json:"transportSocket,omitempty"`
}

// Failure is an answer or close instead of forwarding.
type Failure struct {
	// Status is the HTTP status Envoy answers with; 0 when it closes or
	// resets the connection instead.
	Status int `json:"status,omitempty"`
	// Flag is Envoy's response flag in access logs: NR (no route), NC (no
	// cluster), UH (no healthy upstream), NFCF (no filter chain found),
	// UAEX/RBAC (denied)...
	Flag   string `json:"flag,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// CannotSimulateError says a piece of config is outside what the
// simulator models: it reports the field rather than guess.
type CannotSimulateError struct {
	Field string `json:"field,omitempty"` // e.g. listener virtualInbound filter_chains[2].filter_chain_match.source_prefix_ranges
}

func (e *CannotSimulateError) Error() string { return "cannot simulate: " + e.Field }

func cannot(format string, args ...any) error {
	return &CannotSimulateError{Field: fmt.Sprintf(format, args...)}
}

func (r *Result) step(stage, format string, args ...any) {
	r.Trace = append(r.Trace, Step{Stage: stage, Detail: fmt.Sprintf(format, args...)})
}

func (r *Result) fail(status int, flag, format string, args ...any) {
	r.Failure = &Failure{Status: status, Flag: flag, Reason: fmt.Sprintf(format, args...)}
	r.step("failure", "%s", r.Failure)
}

func (f *Failure) String() string {
	if f.Status == 0 {
		return fmt.Sprintf("connection closed (%s): %s", f.Flag, f.Reason)
	}
	return fmt.Sprintf("%d %s: %s", f.Status, f.Flag, f.Reason)
}
