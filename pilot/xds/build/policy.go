package build

import (
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultcommon "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	previoushosts "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	previouspriorities "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/priority/previous_priorities/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// grpcRetryOn lists the retry conditions grpc-go honours; others are dropped.
var grpcRetryOn = map[string]bool{
	"cancelled": true, "deadline-exceeded": true, "internal": true,
	"resource-exhausted": true, "unavailable": true,
}

// defaultRetry is Istio's sidecar default when a rule sets no retries;
// proxyless clients get no implicit retries.
var defaultRetry = &mesh.Retry{Attempts: 2, RetryOn: mesh.DefaultRetryOn}

// RetryPolicy converts retries; nil when retries are disabled, since grpc-go
// rejects an explicit zero retry count.
func RetryPolicy(r *mesh.Retry, opts Options, deg *Degradations) *routev3.RetryPolicy {
	if r == nil && !opts.Proxyless {
		r = defaultRetry
	}
	if r == nil || r.Attempts == 0 {
		return nil
	}
	on := r.RetryOn
	if opts.Proxyless {
		on = filterRetryOn(on, deg)
		if len(on) == 0 {
			deg.Add("retries dropped: no retryOn condition grpc-go supports")
			return nil
		}
	}
	p := &routev3.RetryPolicy{
		RetryOn:    strings.Join(on, ","),
		NumRetries: wrapperspb.UInt32(r.Attempts),
	}
	if r.PerTryTimeout > 0 {
		p.PerTryTimeout = durationpb.New(r.PerTryTimeout)
	}
	if r.Backoff > 0 {
		// istiod sets only the base; Envoy and grpc-go cap the interval at 10× it.
		p.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(r.Backoff)}
	}
	if !opts.Proxyless {
		sidecarRetryExtras(p, r)
	}
	return p
}

// sidecarRetryExtras sets what only Envoy honours: status codes and the
// host and priority choices for each retry, as istiod emits them.
func sidecarRetryExtras(p *routev3.RetryPolicy, r *mesh.Retry) {
	p.RetriableStatusCodes = r.StatusCodes
	if !r.AllowPreviousHosts {
		// Prefer a different host on each retry, Istio's default.
		p.RetryHostPredicate = []*routev3.RetryPolicy_RetryHostPredicate{{
			Name:       "envoy.retry_host_predicates.previous_hosts",
			ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: mustAny(&previoushosts.PreviousHostsPredicate{})},
		}}
	}
	p.HostSelectionRetryMaxAttempts = 5
	if r.RemoteLocalities {
		// Lower the priority of localities already tried, so a retry moves on
		// to another locality; istiod recomputes every 2 attempts.
		p.RetryPriority = &routev3.RetryPolicy_RetryPriority{
			Name:       "envoy.retry_priorities.previous_priorities",
			ConfigType: &routev3.RetryPolicy_RetryPriority_TypedConfig{TypedConfig: mustAny(&previouspriorities.PreviousPrioritiesConfig{UpdateFrequency: 2})},
		}
	}
}

func filterRetryOn(on []string, deg *Degradations) []string {
	var out []string
	for _, c := range on {
		if grpcRetryOn[c] {
			out = append(out, c)
		} else {
			deg.Add("retryOn " + c + " dropped: grpc-go retries only on gRPC status conditions")
		}
	}
	return out
}

// Fault converts fault injection into the fault filter's per-route config.
func Fault(f *mesh.Fault) *faultv3.HTTPFault {
	out := &faultv3.HTTPFault{}
	if f.HasDelay {
		out.Delay = &faultcommon.FaultDelay{
			FaultDelaySecifier: &faultcommon.FaultDelay_FixedDelay{FixedDelay: durationpb.New(f.Delay)},
			Percentage:         percent(f.DelayPercent),
		}
	}
	if f.HasAbort {
		out.Abort = &faultv3.FaultAbort{Percentage: percent(f.AbortPercent)}
		if f.AbortGRPC != nil {
			out.Abort.ErrorType = &faultv3.FaultAbort_GrpcStatus{GrpcStatus: *f.AbortGRPC}
		} else {
			out.Abort.ErrorType = &faultv3.FaultAbort_HttpStatus{HttpStatus: f.AbortHTTP}
		}
	}
	return out
}

// percent expresses 0–100 (with fractions) exactly, in parts per million.
func percent(p float64) *typev3.FractionalPercent {
	return &typev3.FractionalPercent{
		Numerator:   uint32(p*10000 + 0.5),
		Denominator: typev3.FractionalPercent_MILLION,
	}
}

func runtimeFraction(p float64) *corev3.RuntimeFractionalPercent {
	return &corev3.RuntimeFractionalPercent{DefaultValue: percent(p)}
}

// Cors converts a CORS policy to the cors filter's per-route config.
func Cors(c *mesh.Cors) *corsv3.CorsPolicy {
	out := &corsv3.CorsPolicy{
		AllowMethods:  strings.Join(c.AllowMethods, ","),
		AllowHeaders:  strings.Join(c.AllowHeaders, ","),
		ExposeHeaders: strings.Join(c.ExposeHeaders, ","),
		FilterEnabled: runtimeFraction(100),
	}
	for _, o := range c.AllowOrigins {
		out.AllowOriginStringMatch = append(out.AllowOriginStringMatch, StringMatcher(o))
	}
	if c.MaxAge > 0 {
		out.MaxAge = strconv.FormatUint(uint64(c.MaxAge.Seconds()), 10)
	}
	if c.AllowCredentials != nil {
		out.AllowCredentials = wrapperspb.Bool(*c.AllowCredentials)
	}
	return out
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err) // only reachable with an unregistered message type: a programming error
	}
	return a
}

// MustAny packs a message; exported for the generators.
func MustAny(m proto.Message) *anypb.Any { return mustAny(m) }
