package mesh

import (
	"strconv"
	"time"
)

// Direction of a cluster relative to the proxy.
type Direction string

const (
	Outbound Direction = "outbound"
	Inbound  Direction = "inbound"
)

// ClusterKey names a cluster the Istio way: outbound|PORT|SUBSET|HOST.
type ClusterKey struct {
	Direction Direction
	Port      uint32
	Subset    string
	Host      string
}

func (k ClusterKey) String() string {
	// One allocation, not two: names are rendered for every route and
	// cluster of every push.
	var buf [128]byte
	b := append(buf[:0], k.Direction...)
	b = append(b, '|')
	b = strconv.AppendUint(b, uint64(k.Port), 10)
	b = append(b, '|')
	b = append(b, k.Subset...)
	b = append(b, '|')
	b = append(b, k.Host...)
	return string(b)
}

// Less orders keys as their names sort when ports have equal width; it is
// used for deterministic output, not for display.
func (k ClusterKey) Less(o ClusterKey) bool {
	if k.Host != o.Host {
		return k.Host < o.Host
	}
	if k.Port != o.Port {
		return k.Port < o.Port
	}
	if k.Subset != o.Subset {
		return k.Subset < o.Subset
	}
	return k.Direction < o.Direction
}

// MatchKind is how a string is compared.
type MatchKind int

const (
	MatchExact MatchKind = iota
	MatchPrefix
	MatchRegex
)

// StringMatch is one string condition.
type StringMatch struct {
	Kind  MatchKind
	Value string
}

// HeaderMatch is a header condition; Invert expresses withoutHeaders.
type HeaderMatch struct {
	Name   string
	Match  StringMatch
	Invert bool
}

// Match is one HTTPMatchRequest: all of its conditions must hold.
type Match struct {
	URI             *StringMatch
	IgnoreURICase   bool
	Headers         []HeaderMatch
	QueryParams     []HeaderMatch
	Port            uint32
	SourceLabels    map[string]string
	SourceNamespace string
}

// Destination is one weighted target of a route. Cluster.Port is the
// listener port when the VirtualService left the port unset.
type Destination struct {
	Cluster ClusterKey
	// Weight is set once by translation (NormalizedWeight); weight.go says
	// what it means and generators copy it via TrafficSplit.
	Weight  uint32
	Headers HeaderOps
}

// HeaderOps are header edits on requests and responses.
type HeaderOps struct {
	RequestSet     map[string]string
	RequestAdd     map[string]string
	RequestRemove  []string
	ResponseSet    map[string]string
	ResponseAdd    map[string]string
	ResponseRemove []string
}

// Empty reports whether there is nothing to edit.
func (h HeaderOps) Empty() bool {
	return len(h.RequestSet)+len(h.RequestAdd)+len(h.RequestRemove)+
		len(h.ResponseSet)+len(h.ResponseAdd)+len(h.ResponseRemove) == 0
}

// Retry is a route's retry policy; Attempts 0 means retries are disabled.
type Retry struct {
	Attempts      uint32
	PerTryTimeout time.Duration
	// RetryOn holds Envoy's condition names; the HTTP status codes a user
	// listed in retryOn are in StatusCodes instead, as Envoy wants them.
	RetryOn     []string
	StatusCodes []uint32
	// Backoff is the base interval between retries; 0 keeps Envoy's 25ms.
	Backoff time.Duration
	// RemoteLocalities retries in localities other than those tried.
	RemoteLocalities bool
	// AllowPreviousHosts is retryIgnorePreviousHosts: false, which lets a
	// retry land on a host that already failed.
	AllowPreviousHosts bool
}

// Fault injects delays and aborts; percentages are 0–100.
type Fault struct {
	Delay        time.Duration
	DelayPercent float64
	HasDelay     bool
	AbortHTTP    uint32
	AbortGRPC    *uint32
	AbortPercent float64
	HasAbort     bool
}

// Mirror copies a share of requests to another cluster.
type Mirror struct {
	Cluster ClusterKey
	Percent float64
}

// Redirect answers with an HTTP redirect.
type Redirect struct {
	Path      string
	Authority string
	Port      uint32
	Scheme    string
	Code      uint32
}

// DirectResponse answers with a fixed status and body.
type DirectResponse struct {
	Status uint32
	Body   string
}

// Rewrite edits the request before forwarding.
type Rewrite struct {
	Prefix       string
	Authority    string
	RegexMatch   string
	RegexReplace string
}

// Cors is a CORS policy.
type Cors struct {
	AllowOrigins     []StringMatch
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	MaxAge           time.Duration
	AllowCredentials *bool
}

// HTTPRoute is one rule of a VirtualService after resolution. Exactly one of
// Destinations, Redirect and DirectResponse is set.
type HTTPRoute struct {
	Name           string
	Matches        []Match
	Destinations   []Destination
	Redirect       *Redirect
	DirectResponse *DirectResponse
	Rewrite        *Rewrite
	Timeout        time.Duration
	Retry          *Retry
	Fault          *Fault
	Mirrors        []Mirror
	Headers        HeaderOps
	Cors           *Cors
	// Origin names the VirtualService and rule, for logs and stat names.
	Origin string
}

// TCPRoute is one tcp rule of a VirtualService.
type TCPRoute struct {
	Port            uint32
	SourceLabels    map[string]string
	SourceNamespace string
	Destinations    []Destination
	Origin          string
}

// TLSRoute sends TLS connections whose server name matches SNIHosts
// (and whose destination is in DestinationSubnets, when set) to the
// destinations, without terminating TLS. Port, SourceLabels and
// SourceNamespace narrow which proxies and listener ports it applies to.
type TLSRoute struct {
	SNIHosts           []string
	DestinationSubnets []string
	Port               uint32
	SourceLabels       map[string]string
	SourceNamespace    string
	Destinations       []Destination
	Origin             string
}

// DefaultRetryOn is Istio's sidecar default retry condition set.
var DefaultRetryOn = []string{"connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"}
