package mesh

import (
	"time"

	"istio.io/api/label"
)

// LBKind is the load-balancing algorithm.
type LBKind string

const (
	LBRoundRobin   LBKind = "ROUND_ROBIN"
	LBLeastRequest LBKind = "LEAST_REQUEST"
	LBRandom       LBKind = "RANDOM"
	LBPassthrough  LBKind = "PASSTHROUGH"
	LBRingHash     LBKind = "RING_HASH"
	LBMaglev       LBKind = "MAGLEV"
)

// HashKey is what a consistent-hash balancer hashes on.
type HashKey struct {
	Header      string
	Cookie      string
	CookiePath  string
	CookieTTL   time.Duration
	SourceIP    bool
	QueryParam  string
	MinRingSize uint64
}

// LoadBalancer is a cluster's balancing policy.
type LoadBalancer struct {
	Kind LBKind
	Hash *HashKey
}

// ConnectionPool holds circuit-breaker and connection settings; zero means unset.
type ConnectionPool struct {
	MaxConnections           uint32
	ConnectTimeout           time.Duration
	MaxPendingRequests       uint32
	MaxRequests              uint32
	MaxRequestsPerConnection uint32
	MaxRetries               uint32
	IdleTimeout              time.Duration
	// H2Upgrade: h2UpgradePolicy UPGRADE without useClientProtocol, which
	// makes the cluster speak HTTP/2 whatever the port's protocol.
	H2Upgrade    bool
	TCPKeepalive *TCPKeepalive
	// MaxConnectionDuration closes upstream connections that old (tcp.maxConnectionDuration).
	MaxConnectionDuration time.Duration
	// TCPIdleTimeout is tcp.idleTimeout: nil when unset, 0 when set to 0s
	// (Istio: "If set to 0s, the timeout will be disabled").
	TCPIdleTimeout *time.Duration
	// MaxConcurrentStreams and H2KeepAlive apply to HTTP/2 upstream connections only.
	MaxConcurrentStreams uint32
	H2KeepAlive          *H2KeepAlive
	// UseClientProtocol: the upstream speaks the downstream's HTTP version.
	UseClientProtocol bool
}

// H2KeepAlive sends HTTP/2 PINGs every Interval, closing the connection
// when one is not answered within Timeout.
type H2KeepAlive struct {
	Interval time.Duration
	Timeout  time.Duration
}

// TCPKeepalive sets SO_KEEPALIVE on upstream connections; zero fields
// keep the operating system's values.
type TCPKeepalive struct {
	Probes   uint32
	Time     time.Duration
	Interval time.Duration
}

// OutlierDetection ejects failing endpoints.
type OutlierDetection struct {
	Consecutive5xx        *uint32
	ConsecutiveGateway    *uint32
	Interval              time.Duration
	BaseEjectionTime      time.Duration
	MaxEjectionPercent    uint32
	MinHealthPercent      uint32
	SplitExternalLocalErr bool
	// ConsecutiveLocalOrigin ejects after that many local-origin failures
	// (connect errors, resets); only with SplitExternalLocalErr, as Istio.
	ConsecutiveLocalOrigin uint32
	// FailurePercentage ejects hosts whose failure percentage reaches it
	// (failurePercentageThreshold); nil leaves that detector off.
	FailurePercentage *uint32
}

// TLSMode is a DestinationRule's client TLS mode as weft acts on it.
type TLSMode int

const (
	// TLSAuto: mutual TLS to endpoints that run a mesh proxy, as Istio's
	// automatic mTLS; the default when no DestinationRule sets tls.
	TLSAuto TLSMode = iota
	TLSDisable
	TLSIstioMutual
	// TLSSimple originates TLS with the proxy's certificates from files or
	// a credential; TLSMutual also presents a client certificate.
	TLSSimple
	TLSMutual
)

// ClusterTLS is the upstream TLS setting of a cluster.
type ClusterTLS struct {
	Mode TLSMode
	// SANs overrides the identities the server must present.
	SANs []string
	// SNI overrides the server name sent; empty means Istio's default
	// (the cluster's SNI under ISTIO_MUTUAL, the request's host otherwise).
	SNI string
	// File paths on the proxy (SIMPLE, MUTUAL); an empty CACertificates
	// means the system roots.
	CACertificates    string
	ClientCertificate string
	PrivateKey        string
	CACRL             string
	// InsecureSkipVerify: no verification of the server's certificate.
	InsecureSkipVerify bool
	// CredentialName is a Secret in the proxy's namespace, served by weftd
	// over SDS, holding what the file paths would; CACertCredentialName
	// one holding the CA alone.
	CredentialName       string
	CACertCredentialName string
	// Selected: the rule has a workloadSelector, the only kind whose
	// credentials Istio applies on sidecars.
	Selected bool
}

// TrafficPolicy is the DestinationRule policy in force for one cluster,
// after port-level and subset overrides.
type TrafficPolicy struct {
	LoadBalancer     *LoadBalancer
	ConnectionPool   *ConnectionPool
	OutlierDetection *OutlierDetection
	TLS              *ClusterTLS
	// LocalityLB is the loadBalancer's localityLbSetting; nil defers to the mesh's.
	LocalityLB *LocalityLB
	// TCPProxy is what a TCP proxy to this cluster takes from the rule.
	TCPProxy *TCPProxyLimits
}

// TCPProxyLimits are the rule-level tcp.idleTimeout and
// tcp.maxConnectionDuration: istiod puts them on the TCP proxy from the
// DestinationRule's top-level policy only, whatever the port-level or
// subset settings of the cluster.
type TCPProxyLimits struct {
	IdleTimeout           *time.Duration // nil: unset; 0 disables
	MaxConnectionDuration time.Duration
}

// TLSModeLabel marks a pod whose proxy accepts Istio mutual TLS.
var TLSModeLabel = label.SecurityTlsMode.Name

// MeshTLSCapable reports whether an endpoint runs a proxy that speaks Istio mTLS.
func (e Endpoint) MeshTLSCapable() bool { return e.Labels[TLSModeLabel] == "istio" }

// Identity is the endpoint's SPIFFE ID, or "" when its service account is unknown.
func (e Endpoint) Identity(trustDomain string) string {
	if e.ServiceAccount == "" || e.Namespace == "" {
		return ""
	}
	return "spiffe://" + trustDomain + "/ns/" + e.Namespace + "/sa/" + e.ServiceAccount
}

// Cluster is one outbound cluster: a service port, optionally narrowed to a
// subset's labels.
type Cluster struct {
	Key          ClusterKey
	Service      *Service
	Port         Port
	SubsetLabels map[string]string
	Policy       TrafficPolicy
}

// Endpoints returns the service endpoints the cluster selects.
func (c *Cluster) Endpoints() []Endpoint {
	all := c.Service.Endpoints[c.Port.Number]
	if len(c.SubsetLabels) == 0 {
		return all
	}
	out := make([]Endpoint, 0, len(all))
	for _, ep := range all {
		if LabelsMatch(c.SubsetLabels, ep.Labels) {
			out = append(out, ep)
		}
	}
	return out
}

// LabelsMatch reports whether every selector label is present in labels.
func LabelsMatch(selector, labels map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
