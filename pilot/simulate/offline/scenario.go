package offline

import (
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/simulate"
	"github.com/weftmesh/weft/pilot/translate"
)

// Scenario is a file of simulated requests and what must happen to them,
// kept beside a golden input: the behaviour the golden bytes stand for.
type Scenario struct {
	// Proxy is the node id every case runs on unless the case names one.
	Proxy     string            `json:"proxy"`
	Labels    map[string]string `json:"labels,omitempty"`
	Proxyless bool              `json:"proxyless,omitempty"`
	// Locality is the node locality the proxy sends (region/zone/subzone).
	Locality string `json:"locality,omitempty"`
	// MeshConfig names a file beside the scenario read as weftd's
	// --mesh-config; Translate holds what it sets.
	MeshConfig string            `json:"meshConfig,omitempty"`
	Translate  translate.Options `json:"-"`
	Cases      []Case            `json:"cases"`
}

// Case is one request and its expected outcome.
type Case struct {
	Name      string            `json:"name"`
	Proxy     string            `json:"proxy,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	Proxyless *bool             `json:"proxyless,omitempty"`
	Locality  string            `json:"locality,omitempty"`
	// Request is "[METHOD] URL"; the other fields are weftctl simulate's flags.
	Request  string   `json:"request,omitempty"`
	Headers  []string `json:"headers,omitempty"`
	Inbound  bool     `json:"inbound,omitempty"`
	Port     uint32   `json:"port,omitempty"`
	From     string   `json:"from,omitempty"`
	ALPN     []string `json:"alpn,omitempty"` // with from: the mTLS client's ALPN
	TCP      string   `json:"tcp,omitempty"`
	IP       string   `json:"ip,omitempty"`
	Protocol string   `json:"protocol,omitempty"`
	Want     Want     `json:"want"`
}

// Want lists what must hold; fields left out are not checked.
type Want struct {
	Listener    string `json:"listener,omitempty"`
	FilterChain string `json:"filterChain,omitempty"`
	// DownstreamTLS: "terminated" (the chain ended the client's TLS) or
	// "none" (it did not: plaintext, or TLS passed through).
	DownstreamTLS   string             `json:"downstreamTLS,omitempty"`
	VirtualHost     string             `json:"virtualHost,omitempty"`
	Route           string             `json:"route,omitempty"`
	Clusters        map[string]float64 `json:"clusters,omitempty"` // cluster → probability
	Failure         *simulate.Failure  `json:"failure,omitempty"`  // status and flag compared
	Redirect        *simulate.Redirect `json:"redirect,omitempty"`
	DirectStatus    int                `json:"directStatus,omitempty"`
	TransportSocket string             `json:"transportSocket,omitempty"` // of the first upstream's first endpoint
	// SNI, SANs, TrustedCA and ClientCertificate are the first upstream's
	// TLS (simulate.Upstream); SANs: [] checks that none are verified.
	SNI               string   `json:"sni,omitempty"`
	SANs              []string `json:"sans,omitempty"`
	TrustedCA         string   `json:"trustedCA,omitempty"`
	ClientCertificate string   `json:"clientCertificate,omitempty"`
	UpstreamALPN      []string `json:"upstreamALPN,omitempty"` // what the first upstream's TLS offers
	Endpoints         []string `json:"endpoints,omitempty"`    // addresses of the first upstream
	LB                string   `json:"lb,omitempty"`           // the first upstream's load balancer
	// CircuitBreakers are the first upstream's thresholds (Envoy's defaults
	// when the cluster sets none).
	CircuitBreakers *simulate.CircuitBreakers `json:"circuitBreakers,omitempty"`
	Timeout         string                    `json:"timeout,omitempty"` // Go duration
	RetryAttempts   *uint32                   `json:"retryAttempts,omitempty"`
	// RetriedOn and NotRetriedOn are upstream HTTP statuses the route's
	// retry policy does and does not retry.
	RetriedOn     []int  `json:"retriedOn,omitempty"`
	NotRetriedOn  []int  `json:"notRetriedOn,omitempty"`
	RetryBackoff  string `json:"retryBackoff,omitempty"`  // base interval, Go duration
	RetryPriority string `json:"retryPriority,omitempty"` // retry priority extension name
	FaultAbort    int    `json:"faultAbort,omitempty"`
	FaultDelay    string `json:"faultDelay,omitempty"`
	// FaultDelayPercent and FaultAbortPercent are the share (0–100) of
	// requests the route's fault hits; 0 is a fault that never fires.
	FaultDelayPercent *float64          `json:"faultDelayPercent,omitempty"`
	FaultAbortPercent *float64          `json:"faultAbortPercent,omitempty"`
	Mirrors           []string          `json:"mirrors,omitempty"`
	RewritePath       string            `json:"rewritePath,omitempty"`
	RewriteHost       string            `json:"rewriteAuthority,omitempty"`
	RequestHeaders    map[string]string `json:"requestHeaders,omitempty"` // set or appended
	HashOn            []string          `json:"hashOn,omitempty"`         // the route's hash keys (simulate.Action.HashOn)
	CannotSimulate    string            `json:"cannotSimulate,omitempty"` // substring of the field named

	// UpstreamProtocol, Connection and Outlier are the first upstream's
	// (simulate.Upstream); TCP is a TCP proxy's limits.
	UpstreamProtocol string                     `json:"upstreamProtocol,omitempty"`
	Connection       *simulate.ConnectionLimits `json:"connection,omitempty"`
	Outlier          *simulate.Outlier          `json:"outlier,omitempty"`
	TCP              *simulate.TCPLimits        `json:"tcp,omitempty"`
	ClusterType      string                     `json:"clusterType,omitempty"` // the first upstream's discovery type
	DNS              *simulate.DNSResolution    `json:"dns,omitempty"`

	// Priorities are the first upstream's endpoint addresses by priority;
	// LocalityWeights its localities' weights (region/zone/subzone).
	Priorities      map[uint32][]string `json:"priorities,omitempty"`
	LocalityWeights map[string]uint32   `json:"localityWeights,omitempty"`
}

// LoadScenario reads a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Scenario
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.MeshConfig != "" {
		mc, err := os.ReadFile(filepath.Join(filepath.Dir(path), s.MeshConfig))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if s.Translate, err = translate.OptionsFromMeshConfig(mc); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return &s, nil
}

// Spec is the case's request as weftctl simulate would read it.
func (c Case) Spec(proxyless bool) simulate.RequestSpec {
	s := simulate.RequestSpec{Headers: c.Headers, Inbound: c.Inbound, Port: c.Port, From: c.From, ALPN: c.ALPN,
		TCP: c.TCP, IP: c.IP, Protocol: c.Protocol, Target: proxyless}
	words := strings.Fields(c.Request)
	switch len(words) {
	case 1:
		s.URL = words[0]
	case 2:
		s.Method, s.URL = words[0], words[1]
	}
	return s
}

// Check compares a result (or the error Simulate returned) with the want,
// returning every difference.
func (w Want) Check(r *simulate.Result, err error) []string {
	if w.CannotSimulate != "" || err != nil {
		if err == nil || !strings.Contains(err.Error(), w.CannotSimulate) || w.CannotSimulate == "" {
			return []string{fmt.Sprintf("error %v, want cannot simulate %q", err, w.CannotSimulate)}
		}
		return nil
	}
	var diffs []string
	diff := func(what string, got, want any) {
		diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", what, got, want))
	}
	w.checkStages(r, diff)
	w.checkAction(r, diff)
	w.checkUpstream(r, diff)
	w.checkConnection(r, diff)
	return diffs
}

func (w Want) checkStages(r *simulate.Result, diff func(string, any, any)) {
	for _, s := range []struct{ what, got, want string }{
		{"listener", r.Listener, w.Listener}, {"filter chain", r.FilterChain, w.FilterChain},
		{"virtual host", r.VirtualHost, w.VirtualHost}, {"route", r.Route, w.Route},
	} {
		if s.want != "" && s.got != s.want {
			diff(s.what, s.got, s.want)
		}
	}
	got := r.DownstreamTLS
	if got == "" {
		got = "none"
	}
	if w.DownstreamTLS != "" && got != w.DownstreamTLS {
		diff("downstream TLS", got, w.DownstreamTLS)
	}
	switch {
	case w.Failure == nil && r.Failure != nil:
		diff("failure", r.Failure, "none")
	case w.Failure != nil && (r.Failure == nil || r.Failure.Status != w.Failure.Status || r.Failure.Flag != w.Failure.Flag):
		diff("failure", r.Failure, fmt.Sprintf("%d %s", w.Failure.Status, w.Failure.Flag))
	}
}

func (w Want) checkAction(r *simulate.Result, diff func(string, any, any)) {
	a := r.Action
	if w.Clusters != nil && !sameSplit(a.Clusters, w.Clusters) {
		diff("clusters", a.Clusters, w.Clusters)
	}
	if w.Redirect != nil && (a.Redirect == nil || *a.Redirect != *w.Redirect) {
		diff("redirect", a.Redirect, w.Redirect)
	}
	if w.DirectStatus != 0 && (a.DirectResponse == nil || a.DirectResponse.Status != w.DirectStatus) {
		diff("direct response", a.DirectResponse, w.DirectStatus)
	}
	if w.Timeout != "" && (a.Timeout == nil || a.Timeout.String() != w.Timeout) {
		diff("timeout", a.Timeout, w.Timeout)
	}
	w.checkRetry(a.Retry, diff)
	w.checkFault(a, diff)
	if w.HashOn != nil && !slices.Equal(a.HashOn, w.HashOn) {
		diff("hash on", a.HashOn, w.HashOn)
	}
	if w.Mirrors != nil && !slices.Equal(mirrorClusters(a.Mirrors), w.Mirrors) {
		diff("mirrors", mirrorClusters(a.Mirrors), w.Mirrors)
	}
	if w.RewritePath != "" && a.RewritePath != w.RewritePath {
		diff("rewritten path", a.RewritePath, w.RewritePath)
	}
	if w.RewriteHost != "" && a.RewriteAuthority != w.RewriteHost {
		diff("rewritten authority", a.RewriteAuthority, w.RewriteHost)
	}
	for k, v := range w.RequestHeaders {
		if a.RequestHeaders.Set[k] != v && a.RequestHeaders.Append[k] != v {
			diff("request header "+k, a.RequestHeaders, v)
		}
	}
}

// retryAttempts: no retry policy on the route or its virtual host is no
// retries in Envoy.
func retryAttempts(r *simulate.Retry) uint32 {
	if r == nil {
		return 0
	}
	return r.Attempts
}

func (w Want) checkRetry(r *simulate.Retry, diff func(string, any, any)) {
	if w.RetryAttempts != nil && retryAttempts(r) != *w.RetryAttempts {
		diff("retry attempts", r, *w.RetryAttempts)
	}
	for _, s := range w.RetriedOn {
		if !r.RetriesStatus(s) {
			diff("retried on "+strconv.Itoa(s), r, true)
		}
	}
	for _, s := range w.NotRetriedOn {
		if r.RetriesStatus(s) {
			diff("retried on "+strconv.Itoa(s), r, false)
		}
	}
	if w.RetryBackoff != "" && r.BackoffBase().String() != w.RetryBackoff {
		diff("retry backoff", r.BackoffBase().String(), w.RetryBackoff)
	}
	if w.RetryPriority != "" && (r == nil || r.Priority != w.RetryPriority) {
		diff("retry priority", r, w.RetryPriority)
	}
}

func (w Want) checkFault(a simulate.Action, diff func(string, any, any)) {
	if w.FaultAbort != 0 && (a.Fault == nil || a.Fault.AbortStatus != w.FaultAbort) {
		diff("fault abort", a.Fault, w.FaultAbort)
	}
	if w.FaultDelay != "" && (a.Fault == nil || a.Fault.Delay == nil || a.Fault.Delay.String() != w.FaultDelay) {
		diff("fault delay", a.Fault, w.FaultDelay)
	}
	if w.FaultDelayPercent != nil && faultShare(a.Fault, true) != *w.FaultDelayPercent {
		diff("fault delay percent", faultShare(a.Fault, true), *w.FaultDelayPercent)
	}
	if w.FaultAbortPercent != nil && faultShare(a.Fault, false) != *w.FaultAbortPercent {
		diff("fault abort percent", faultShare(a.Fault, false), *w.FaultAbortPercent)
	}
}

// faultShare is the percentage of requests the delay (or abort) hits; no
// fault hits none.
func faultShare(f *simulate.Fault, delay bool) float64 {
	switch {
	case f == nil:
		return 0
	case delay && f.Delay != nil:
		return math.Round(f.DelayProbability*1e6) / 1e4
	case !delay && (f.AbortStatus != 0 || f.AbortGRPCStatus != 0):
		return math.Round(f.AbortProbability*1e6) / 1e4
	}
	return 0
}

func (w Want) checkUpstream(r *simulate.Result, diff func(string, any, any)) {
	if w.TransportSocket == "" && w.Endpoints == nil && w.LB == "" && w.CircuitBreakers == nil && !w.checksTLS() &&
		w.Priorities == nil && w.LocalityWeights == nil {
		return
	}
	if len(r.Upstreams) == 0 {
		diff("upstreams", nil, "at least one")
		return
	}
	u := r.Upstreams[0]
	if w.TransportSocket != "" && transportOf(u) != w.TransportSocket {
		diff("transport socket", transportOf(u), w.TransportSocket)
	}
	if w.LB != "" && u.LB != w.LB {
		diff("load balancer", u.LB, w.LB)
	}
	w.checkTLS(u, diff)
	if w.CircuitBreakers != nil {
		got := simulate.DefaultCircuitBreakers()
		if u.CircuitBreakers != nil {
			got = *u.CircuitBreakers
		}
		if got != *w.CircuitBreakers {
			diff("circuit breakers", got, *w.CircuitBreakers)
		}
	}
	w.checkLocalities(u, diff)
	if w.Endpoints != nil {
		var got []string
		for _, e := range u.Endpoints {
			got = append(got, e.Address)
		}
		slices.Sort(got)
		want := slices.Clone(w.Endpoints)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			diff("endpoints", got, want)
		}
	}
}

// transportOf is the transport socket of the first endpoint (matches may
// choose per endpoint), else the cluster's.
func transportOf(u simulate.Upstream) string {
	if len(u.Endpoints) > 0 && u.Endpoints[0].TransportSocket != "" {
		return u.Endpoints[0].TransportSocket
	}
	return u.TransportSocket
}

func sameSplit(got []simulate.WeightedCluster, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for _, c := range got {
		p, ok := want[c.Name]
		if !ok || math.Abs(p-c.Probability) > 1e-9 {
			return false
		}
	}
	return true
}

func mirrorClusters(ms []simulate.Mirror) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Cluster)
	}
	return out
}

// checkLocalities compares the endpoints' priorities and their
// localities' weights, each set in any order.
func (w Want) checkLocalities(u simulate.Upstream, diff func(string, any, any)) {
	if w.Priorities != nil {
		got := map[uint32][]string{}
		for _, e := range u.Endpoints {
			got[e.Priority] = append(got[e.Priority], e.Address)
		}
		if !sameSets(got, w.Priorities) {
			diff("priorities", got, w.Priorities)
		}
	}
	if w.LocalityWeights != nil {
		got := map[string]uint32{}
		for _, e := range u.Endpoints {
			got[strings.TrimRight(e.Locality, "/")] = e.LocalityWeight
		}
		if !maps.Equal(got, w.LocalityWeights) {
			diff("locality weights", got, w.LocalityWeights)
		}
	}
}

func sameSets(a, b map[uint32][]string) bool {
	return maps.EqualFunc(a, b, func(x, y []string) bool {
		x, y = slices.Clone(x), slices.Clone(y)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	})
}
