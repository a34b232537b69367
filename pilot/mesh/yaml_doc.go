package mesh

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The document types below are the YAML form's schema. They mirror the IR
// field for field with lowerCamel names; only pointers between IR objects
// and enums change shape.

type meshDoc struct {
	Version            string           `json:"version,omitempty"`
	SameClustersAs     string           `json:"sameClustersAs,omitempty"`
	SameListenersAs    string           `json:"sameListenersAs,omitempty"`
	TrustDomain        string           `json:"trustDomain,omitempty"`
	Services           []serviceDoc     `json:"services,omitempty"`
	Clusters           []clusterDoc     `json:"clusters,omitempty"`
	VirtualHosts       []virtualHostDoc `json:"virtualHosts,omitempty"`
	Views              []viewDoc        `json:"views,omitempty"`
	Alternates         []alternateDoc   `json:"alternates,omitempty"`
	Workloads          []workloadDoc    `json:"workloads,omitempty"`
	PeerAuthentication *peerAuthnDoc    `json:"peerAuthentication,omitempty"`
	SidecarScopes      *scopesDoc       `json:"sidecarScopes,omitempty"`
	LocalityLB         *LocalityLB      `json:"localityLB,omitempty"`
	Diagnostics        []diagnosticDoc  `json:"diagnostics,omitempty"`
}

type serviceDoc struct {
	Hostname   string    `json:"hostname"`
	Namespace  string    `json:"namespace,omitempty"`
	Name       string    `json:"name,omitempty"`
	Addresses  []string  `json:"addresses,omitempty"`
	Resolution string    `json:"resolution"`
	External   bool      `json:"external,omitempty"`
	SANs       []string  `json:"subjectAltNames,omitempty"`
	Ports      []portDoc `json:"ports,omitempty"`
	ExportTo   []string  `json:"exportTo,omitempty"`
}

// portDoc nests a port's endpoints under it: Service.Endpoints is keyed by
// service port number.
type portDoc struct {
	Name      string        `json:"name,omitempty"`
	Number    uint32        `json:"number"`
	Protocol  Protocol      `json:"protocol"`
	Endpoints []endpointDoc `json:"endpoints,omitempty"`
}

type endpointDoc struct {
	Address        string            `json:"address"`
	Port           uint32            `json:"port"`
	Labels         map[string]string `json:"labels,omitempty"`
	ServiceAccount string            `json:"serviceAccount,omitempty"`
	Namespace      string            `json:"namespace,omitempty"`
	Weight         uint32            `json:"weight,omitempty"`
	Healthy        bool              `json:"healthy"`
	Locality       string            `json:"locality,omitempty"`
	NodeName       string            `json:"nodeName,omitempty"`
}

// clusterDoc names its service and port by the key; the decoder resolves them.
type clusterDoc struct {
	Name         string            `json:"name"`
	SubsetLabels map[string]string `json:"subsetLabels,omitempty"`
	Policy       *policyDoc        `json:"policy,omitempty"`
}

type policyDoc struct {
	LoadBalancer     *lbDoc       `json:"loadBalancer,omitempty"`
	ConnectionPool   *poolDoc     `json:"connectionPool,omitempty"`
	OutlierDetection *outlierDoc  `json:"outlierDetection,omitempty"`
	TLS              *tlsDoc      `json:"tls,omitempty"`
	TCPProxy         *tcpProxyDoc `json:"tcpProxy,omitempty"`
	LocalityLB       *LocalityLB  `json:"localityLB,omitempty"`
}

type lbDoc struct {
	Kind LBKind   `json:"kind"`
	Hash *hashDoc `json:"hash,omitempty"`
}

type hashDoc struct {
	Header      string `json:"header,omitempty"`
	Cookie      string `json:"cookie,omitempty"`
	CookiePath  string `json:"cookiePath,omitempty"`
	CookieTTL   string `json:"cookieTTL,omitempty"`
	SourceIP    bool   `json:"sourceIP,omitempty"`
	QueryParam  string `json:"queryParam,omitempty"`
	MinRingSize uint64 `json:"minRingSize,omitempty"`
}

type poolDoc struct {
	MaxConnections           uint32        `json:"maxConnections,omitempty"`
	ConnectTimeout           string        `json:"connectTimeout,omitempty"`
	MaxPendingRequests       uint32        `json:"maxPendingRequests,omitempty"`
	MaxRequests              uint32        `json:"maxRequests,omitempty"`
	MaxRequestsPerConnection uint32        `json:"maxRequestsPerConnection,omitempty"`
	MaxRetries               uint32        `json:"maxRetries,omitempty"`
	IdleTimeout              string        `json:"idleTimeout,omitempty"`
	H2Upgrade                bool          `json:"h2Upgrade,omitempty"`
	TCPKeepalive             *keepaliveDoc `json:"tcpKeepalive,omitempty"`
	// The rest are read and written by poolExtrasToDoc/FromDoc.
	MaxConnectionDuration string          `json:"maxConnectionDuration,omitempty"`
	TCPIdleTimeout        *string         `json:"tcpIdleTimeout,omitempty"`
	MaxConcurrentStreams  uint32          `json:"maxConcurrentStreams,omitempty"`
	H2KeepAlive           *h2KeepAliveDoc `json:"h2KeepAlive,omitempty"`
	UseClientProtocol     bool            `json:"useClientProtocol,omitempty"`
}

type keepaliveDoc struct {
	Probes   uint32 `json:"probes,omitempty"`
	Time     string `json:"time,omitempty"`
	Interval string `json:"interval,omitempty"`
}

type outlierDoc struct {
	Consecutive5xx         *uint32 `json:"consecutive5xx,omitempty"`
	ConsecutiveGateway     *uint32 `json:"consecutiveGateway,omitempty"`
	Interval               string  `json:"interval,omitempty"`
	BaseEjectionTime       string  `json:"baseEjectionTime,omitempty"`
	MaxEjectionPercent     uint32  `json:"maxEjectionPercent,omitempty"`
	MinHealthPercent       uint32  `json:"minHealthPercent,omitempty"`
	SplitExternalLocalErr  bool    `json:"splitExternalLocalErr,omitempty"`
	ConsecutiveLocalOrigin uint32  `json:"consecutiveLocalOrigin,omitempty"`
	FailurePercentage      *uint32 `json:"failurePercentage,omitempty"`
}

type virtualHostDoc struct {
	Host       string         `json:"host"`
	Port       uint32         `json:"port"`
	HTTPRoutes []httpRouteDoc `json:"httpRoutes,omitempty"`
	TCPRoutes  []tcpRouteDoc  `json:"tcpRoutes,omitempty"`
	TLSRoutes  []tlsRouteDoc  `json:"tlsRoutes,omitempty"`
}

type httpRouteDoc struct {
	Name           string             `json:"name,omitempty"`
	Origin         string             `json:"origin,omitempty"`
	Matches        []matchDoc         `json:"matches,omitempty"`
	Destinations   []destinationDoc   `json:"destinations,omitempty"`
	Redirect       *redirectDoc       `json:"redirect,omitempty"`
	DirectResponse *directResponseDoc `json:"directResponse,omitempty"`
	Rewrite        *rewriteDoc        `json:"rewrite,omitempty"`
	Timeout        string             `json:"timeout,omitempty"`
	Retry          *retryDoc          `json:"retry,omitempty"`
	Fault          *faultDoc          `json:"fault,omitempty"`
	Mirrors        []mirrorDoc        `json:"mirrors,omitempty"`
	Headers        *headerOpsDoc      `json:"headers,omitempty"`
	Cors           *corsDoc           `json:"cors,omitempty"`
}

// redirectDoc, directResponseDoc and rewriteDoc convert to and from their IR
// types directly: same fields, tags added.
type redirectDoc struct {
	Path      string `json:"path,omitempty"`
	Authority string `json:"authority,omitempty"`
	Port      uint32 `json:"port,omitempty"`
	Scheme    string `json:"scheme,omitempty"`
	Code      uint32 `json:"code,omitempty"`
}

type directResponseDoc struct {
	Status uint32 `json:"status"`
	Body   string `json:"body,omitempty"`
}

type rewriteDoc struct {
	Prefix       string `json:"prefix,omitempty"`
	Authority    string `json:"authority,omitempty"`
	RegexMatch   string `json:"regexMatch,omitempty"`
	RegexReplace string `json:"regexReplace,omitempty"`
}

type matchDoc struct {
	URI             *stringMatchDoc   `json:"uri,omitempty"`
	IgnoreURICase   bool              `json:"ignoreUriCase,omitempty"`
	Headers         []headerMatchDoc  `json:"headers,omitempty"`
	QueryParams     []headerMatchDoc  `json:"queryParams,omitempty"`
	Port            uint32            `json:"port,omitempty"`
	SourceLabels    map[string]string `json:"sourceLabels,omitempty"`
	SourceNamespace string            `json:"sourceNamespace,omitempty"`
}

type stringMatchDoc struct {
	Exact  *string `json:"exact,omitempty"`
	Prefix *string `json:"prefix,omitempty"`
	Regex  *string `json:"regex,omitempty"`
}

type headerMatchDoc struct {
	Name   string         `json:"name"`
	Match  stringMatchDoc `json:"match"`
	Invert bool           `json:"invert,omitempty"`
}

type destinationDoc struct {
	Cluster string        `json:"cluster"`
	Weight  uint32        `json:"weight"`
	Headers *headerOpsDoc `json:"headers,omitempty"`
}

type headerOpsDoc struct {
	RequestSet     map[string]string `json:"requestSet,omitempty"`
	RequestAdd     map[string]string `json:"requestAdd,omitempty"`
	RequestRemove  []string          `json:"requestRemove,omitempty"`
	ResponseSet    map[string]string `json:"responseSet,omitempty"`
	ResponseAdd    map[string]string `json:"responseAdd,omitempty"`
	ResponseRemove []string          `json:"responseRemove,omitempty"`
}

type retryDoc struct {
	Attempts           uint32   `json:"attempts"`
	PerTryTimeout      string   `json:"perTryTimeout,omitempty"`
	RetryOn            []string `json:"retryOn,omitempty"`
	StatusCodes        []uint32 `json:"statusCodes,omitempty"`
	Backoff            string   `json:"backoff,omitempty"`
	RemoteLocalities   bool     `json:"remoteLocalities,omitempty"`
	AllowPreviousHosts bool     `json:"allowPreviousHosts,omitempty"`
}

// faultDoc makes HasDelay/HasAbort the presence of their sections.
type faultDoc struct {
	Delay *delayDoc `json:"delay,omitempty"`
	Abort *abortDoc `json:"abort,omitempty"`
}

type delayDoc struct {
	Fixed   string  `json:"fixed"`
	Percent float64 `json:"percent"`
}

type abortDoc struct {
	HTTPStatus uint32  `json:"httpStatus,omitempty"`
	GRPCStatus *uint32 `json:"grpcStatus,omitempty"`
	Percent    float64 `json:"percent"`
}

type mirrorDoc struct {
	Cluster string  `json:"cluster"`
	Percent float64 `json:"percent"`
}

type corsDoc struct {
	AllowOrigins     []stringMatchDoc `json:"allowOrigins,omitempty"`
	AllowMethods     []string         `json:"allowMethods,omitempty"`
	AllowHeaders     []string         `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string         `json:"exposeHeaders,omitempty"`
	MaxAge           string           `json:"maxAge,omitempty"`
	AllowCredentials *bool            `json:"allowCredentials,omitempty"`
}

type tcpRouteDoc struct {
	Origin          string            `json:"origin,omitempty"`
	Port            uint32            `json:"port,omitempty"`
	SourceLabels    map[string]string `json:"sourceLabels,omitempty"`
	SourceNamespace string            `json:"sourceNamespace,omitempty"`
	Destinations    []destinationDoc  `json:"destinations,omitempty"`
}

type workloadDoc struct {
	Name           string            `json:"name"`
	Namespace      string            `json:"namespace"`
	IP             string            `json:"ip,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	ServiceAccount string            `json:"serviceAccount,omitempty"`
	Locality       string            `json:"locality,omitempty"`
	NodeName       string            `json:"nodeName,omitempty"`
}

type peerAuthnDoc struct {
	Mesh       *peerPolicyDoc              `json:"mesh,omitempty"`
	Namespaces map[string]*peerPolicyDoc   `json:"namespaces,omitempty"`
	Workloads  map[string][]*peerPolicyDoc `json:"workloads,omitempty"`
}

type peerPolicyDoc struct {
	Kind      string              `json:"kind"`
	Namespace string              `json:"namespace"`
	Name      string              `json:"name"`
	Selector  map[string]string   `json:"selector,omitempty"`
	Mode      MTLSMode            `json:"mode,omitempty"`
	Ports     map[uint32]MTLSMode `json:"ports,omitempty"`
}

type scopesDoc struct {
	RootNamespace string                 `json:"rootNamespace,omitempty"`
	ByNamespace   map[string][]*scopeDoc `json:"byNamespace,omitempty"`
}

type scopeDoc struct {
	Kind      string            `json:"kind"`
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Selector  map[string]string `json:"selector,omitempty"`
	Hosts     []string          `json:"hosts,omitempty"`
	// RegistryOnly is outboundTrafficPolicy REGISTRY_ONLY.
	RegistryOnly bool `json:"registryOnly,omitempty"`
	// Ingress, InboundPool, EgressPorts and EgressProxy: see scope_yaml.go.
	Ingress     []ingressDoc `json:"ingress,omitempty"`
	InboundPool *poolDoc     `json:"inboundConnectionPool,omitempty"`
	EgressPorts []egressDoc  `json:"egressPorts,omitempty"`
	EgressProxy string       `json:"egressProxy,omitempty"` // a cluster name
}

type diagnosticDoc struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Field     string `json:"field"`
	Reason    string `json:"reason"`
	Message   string `json:"message"`
}

// durString renders a duration, "" for unset (zero).
func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// parseDur reads durString's output; "" is zero.
func parseDur(s, field string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return d, nil
}

// ParseClusterKey reads a key in ClusterKey.String's form.
func ParseClusterKey(s string) (ClusterKey, error) {
	parts := strings.SplitN(s, "|", 4)
	if len(parts) != 4 {
		return ClusterKey{}, fmt.Errorf("cluster %q: want DIRECTION|PORT|SUBSET|HOST", s)
	}
	port, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return ClusterKey{}, fmt.Errorf("cluster %q: port: %w", s, err)
	}
	return ClusterKey{Direction: Direction(parts[0]), Port: uint32(port), Subset: parts[2], Host: parts[3]}, nil
}

var resolutionNames = map[Resolution]string{ResolutionEDS: "EDS", ResolutionDNS: "DNS", ResolutionPassthrough: "PASSTHROUGH",
	ResolutionDNSRoundRobin: "DNS_ROUND_ROBIN"}

var tlsModeNames = map[TLSMode]string{TLSAuto: "AUTO", TLSDisable: "DISABLE", TLSIstioMutual: "ISTIO_MUTUAL",
	TLSSimple: "SIMPLE", TLSMutual: "MUTUAL"}

// known lists the string enums' values, so a misspelt one in hand-edited
// YAML is an error rather than a silently different mesh.
var (
	knownProtocols = set(ProtocolHTTP, ProtocolHTTP2, ProtocolGRPC, ProtocolTCP, ProtocolTLS, ProtocolHTTPS)
	knownLBKinds   = set(LBRoundRobin, LBLeastRequest, LBRandom, LBPassthrough, LBRingHash, LBMaglev)
	knownMTLSModes = set(MTLSUnset, MTLSDisable, MTLSPermissive, MTLSStrict)
)

func set[T comparable](vs ...T) map[T]bool {
	out := make(map[T]bool, len(vs))
	for _, v := range vs {
		out[v] = true
	}
	return out
}

// checkKnown fails when v is not one of known.
func checkKnown[T comparable](known map[T]bool, v T, what string) error {
	if !known[v] {
		return fmt.Errorf("unknown %s %q", what, fmt.Sprint(v))
	}
	return nil
}

// nameOf looks an enum up by value, failing on values the form cannot name.
func nameOf[K comparable](names map[K]string, v K, what string) (string, error) {
	if s, ok := names[v]; ok {
		return s, nil
	}
	return "", fmt.Errorf("%s %v has no YAML name", what, v)
}

// valueOf is nameOf's inverse.
func valueOf[K comparable](names map[K]string, s, what string) (K, error) {
	for k, n := range names {
		if n == s {
			return k, nil
		}
	}
	var zero K
	return zero, fmt.Errorf("unknown %s %q", what, s)
}
