package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// DestinationRule defines policies applied to traffic after routing.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dr,categories={istio-io,networking-istio-io}
// +kubebuilder:printcolumn:name="Host",type=string,JSONPath=".spec.host",description="The name of a service from the service registry"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type DestinationRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DestinationRuleSpec `json:"spec,omitempty"`
	Status IstioStatus         `json:"status,omitempty"`
}

// DestinationRuleList is a list of DestinationRules.
// +kubebuilder:object:root=true
type DestinationRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DestinationRule `json:"items"`
}

// DestinationRuleSpec holds the traffic policy and subsets of one host.
type DestinationRuleSpec struct {
	// Host is a service name from the registry (short or FQDN).
	Host             string            `json:"host"`
	TrafficPolicy    *TrafficPolicy    `json:"trafficPolicy,omitempty"`
	Subsets          []Subset          `json:"subsets,omitempty"`
	ExportTo         []string          `json:"exportTo,omitempty"`
	WorkloadSelector *WorkloadSelector `json:"workloadSelector,omitempty"`
}

// Subset is a named group of endpoints (by label) with an optional policy override.
type Subset struct {
	Name          string            `json:"name"`
	Labels        map[string]string `json:"labels,omitempty"`
	TrafficPolicy *TrafficPolicy    `json:"trafficPolicy,omitempty"`
}

// TrafficPolicy is load balancing, connection pool, outlier and TLS settings.
type TrafficPolicy struct {
	LoadBalancer     *LoadBalancerSettings   `json:"loadBalancer,omitempty"`
	ConnectionPool   *ConnectionPoolSettings `json:"connectionPool,omitempty"`
	OutlierDetection *OutlierDetection       `json:"outlierDetection,omitempty"`
	TLS              *ClientTLSSettings      `json:"tls,omitempty"`
	// PortLevelSettings override the policy for specific ports.
	PortLevelSettings []PortTrafficPolicy `json:"portLevelSettings,omitempty"`
	Tunnel            *TunnelSettings     `json:"tunnel,omitempty"`
	ProxyProtocol     *ProxyProtocol      `json:"proxyProtocol,omitempty"`
}

// PortTrafficPolicy is a TrafficPolicy scoped to one port.
type PortTrafficPolicy struct {
	Port             *PortSelector           `json:"port,omitempty"`
	LoadBalancer     *LoadBalancerSettings   `json:"loadBalancer,omitempty"`
	ConnectionPool   *ConnectionPoolSettings `json:"connectionPool,omitempty"`
	OutlierDetection *OutlierDetection       `json:"outlierDetection,omitempty"`
	TLS              *ClientTLSSettings      `json:"tls,omitempty"`
}

// LoadBalancerSettings picks a simple algorithm or consistent hashing (one of).
type LoadBalancerSettings struct {
	// +kubebuilder:validation:Enum=UNSPECIFIED;LEAST_CONN;RANDOM;PASSTHROUGH;ROUND_ROBIN;LEAST_REQUEST
	Simple            string                       `json:"simple,omitempty"`
	ConsistentHash    *ConsistentHashLB            `json:"consistentHash,omitempty"`
	LocalityLbSetting *LocalityLoadBalancerSetting `json:"localityLbSetting,omitempty"`
	// WarmupDurationSecs is the slow-start window for new endpoints.
	WarmupDurationSecs *Duration `json:"warmupDurationSecs,omitempty"`
}

// ConsistentHashLB hashes on a header, cookie, source IP or query parameter (one of).
type ConsistentHashLB struct {
	HTTPHeaderName         string      `json:"httpHeaderName,omitempty"`
	HTTPCookie             *HTTPCookie `json:"httpCookie,omitempty"`
	UseSourceIP            bool        `json:"useSourceIp,omitempty"`
	HTTPQueryParameterName string      `json:"httpQueryParameterName,omitempty"`
	RingHash               *RingHash   `json:"ringHash,omitempty"`
	Maglev                 *MagLev     `json:"maglev,omitempty"`
	// MinimumRingSize is deprecated in favour of RingHash.MinimumRingSize.
	// +kubebuilder:validation:Minimum=0
	MinimumRingSize uint64 `json:"minimumRingSize,omitempty"`
}

// HTTPCookie is the cookie used as hash key; it is generated if absent and TTL is set.
type HTTPCookie struct {
	Name string    `json:"name"`
	Path string    `json:"path,omitempty"`
	TTL  *Duration `json:"ttl,omitempty"`
}

// RingHash configures Envoy's ring-hash load balancer.
type RingHash struct {
	// +kubebuilder:validation:Minimum=0
	MinimumRingSize uint64 `json:"minimumRingSize,omitempty"`
}

// MagLev configures Envoy's Maglev load balancer.
type MagLev struct {
	// +kubebuilder:validation:Minimum=0
	TableSize uint64 `json:"tableSize,omitempty"`
}

// LocalityLoadBalancerSetting controls locality-weighted distribution and failover.
type LocalityLoadBalancerSetting struct {
	Distribute       []LocalityDistribute `json:"distribute,omitempty"`
	Failover         []LocalityFailover   `json:"failover,omitempty"`
	FailoverPriority []string             `json:"failoverPriority,omitempty"`
	Enabled          *bool                `json:"enabled,omitempty"`
}

// LocalityDistribute sends traffic from one locality to others by weight.
type LocalityDistribute struct {
	// From is "region/zone/subzone", with "*" wildcards.
	From string `json:"from,omitempty"`
	// To maps localities to weights that sum to 100.
	To map[string]uint32 `json:"to,omitempty"`
}

// LocalityFailover names the region to fail over to when From is unhealthy.
type LocalityFailover struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// ConnectionPoolSettings are circuit-breaker limits for TCP and HTTP.
type ConnectionPoolSettings struct {
	TCP  *TCPSettings  `json:"tcp,omitempty"`
	HTTP *HTTPSettings `json:"http,omitempty"`
}

// TCPSettings are limits common to HTTP and TCP upstream connections.
type TCPSettings struct {
	MaxConnections        int32         `json:"maxConnections,omitempty"`
	ConnectTimeout        *Duration     `json:"connectTimeout,omitempty"`
	TCPKeepalive          *TCPKeepalive `json:"tcpKeepalive,omitempty"`
	MaxConnectionDuration *Duration     `json:"maxConnectionDuration,omitempty"`
	IdleTimeout           *Duration     `json:"idleTimeout,omitempty"`
}

// TCPKeepalive configures SO_KEEPALIVE on upstream sockets.
type TCPKeepalive struct {
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	Probes   uint32    `json:"probes,omitempty"`
	Time     *Duration `json:"time,omitempty"`
	Interval *Duration `json:"interval,omitempty"`
}

// HTTPSettings are HTTP/1.1 and HTTP2 connection-pool limits.
type HTTPSettings struct {
	HTTP1MaxPendingRequests  int32     `json:"http1MaxPendingRequests,omitempty"`
	HTTP2MaxRequests         int32     `json:"http2MaxRequests,omitempty"`
	MaxRequestsPerConnection int32     `json:"maxRequestsPerConnection,omitempty"`
	MaxRetries               int32     `json:"maxRetries,omitempty"`
	IdleTimeout              *Duration `json:"idleTimeout,omitempty"`
	// +kubebuilder:validation:Enum=DEFAULT;DO_NOT_UPGRADE;UPGRADE
	H2UpgradePolicy      string `json:"h2UpgradePolicy,omitempty"`
	UseClientProtocol    bool   `json:"useClientProtocol,omitempty"`
	MaxConcurrentStreams int32  `json:"maxConcurrentStreams,omitempty"`
}

// OutlierDetection ejects unhealthy hosts from the load-balancing pool.
type OutlierDetection struct {
	// ConsecutiveErrors is deprecated; use Consecutive5xxErrors.
	ConsecutiveErrors              int32 `json:"consecutiveErrors,omitempty"`
	SplitExternalLocalOriginErrors bool  `json:"splitExternalLocalOriginErrors,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	ConsecutiveLocalOriginFailures *uint32 `json:"consecutiveLocalOriginFailures,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	ConsecutiveGatewayErrors *uint32 `json:"consecutiveGatewayErrors,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	Consecutive5xxErrors *uint32   `json:"consecutive5xxErrors,omitempty"`
	Interval             *Duration `json:"interval,omitempty"`
	BaseEjectionTime     *Duration `json:"baseEjectionTime,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxEjectionPercent int32 `json:"maxEjectionPercent,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MinHealthPercent int32 `json:"minHealthPercent,omitempty"`
}

// ClientTLSSettings is the TLS origination of upstream connections.
type ClientTLSSettings struct {
	// +kubebuilder:validation:Enum=DISABLE;SIMPLE;MUTUAL;ISTIO_MUTUAL
	Mode              string `json:"mode,omitempty"`
	ClientCertificate string `json:"clientCertificate,omitempty"`
	PrivateKey        string `json:"privateKey,omitempty"`
	CaCertificates    string `json:"caCertificates,omitempty"`
	// CredentialName is a Secret holding the client key, cert and CA.
	CredentialName     string   `json:"credentialName,omitempty"`
	SubjectAltNames    []string `json:"subjectAltNames,omitempty"`
	Sni                string   `json:"sni,omitempty"`
	InsecureSkipVerify *bool    `json:"insecureSkipVerify,omitempty"`
	CaCrl              string   `json:"caCrl,omitempty"`
}

// TunnelSettings sends TCP traffic to the destination through an HTTP CONNECT/POST tunnel.
type TunnelSettings struct {
	// +kubebuilder:validation:Enum=CONNECT;POST
	Protocol   string `json:"protocol,omitempty"`
	TargetHost string `json:"targetHost"`
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	TargetPort uint32 `json:"targetPort"`
}

// ProxyProtocol sends a PROXY protocol header to upstream.
type ProxyProtocol struct {
	// +kubebuilder:validation:Enum=V1;V2
	Version string `json:"version,omitempty"`
}
