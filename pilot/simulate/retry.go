package simulate

import (
	"slices"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// retryPolicy: the route's policy wins whole over the virtual host's (the
// two are not merged). num_retries defaults to 1.
func retryPolicy(a *routev3.RouteAction, vh *routev3.VirtualHost) *Retry {
	p := a.GetRetryPolicy()
	if p == nil {
		p = vh.GetRetryPolicy()
	}
	if p == nil {
		return nil
	}
	r := &Retry{Attempts: 1, RetryOn: splitList(p.GetRetryOn()), StatusCodes: p.GetRetriableStatusCodes()}
	if p.GetNumRetries() != nil {
		r.Attempts = p.GetNumRetries().GetValue()
	}
	if p.GetPerTryTimeout() != nil {
		d := p.GetPerTryTimeout().AsDuration()
		r.PerTryTimeout = &d
	}
	if b := p.GetRetryBackOff().GetBaseInterval(); b != nil {
		d := b.AsDuration()
		r.Backoff = &d
	}
	r.Priority = p.GetRetryPriority().GetName()
	for _, h := range p.GetRetryHostPredicate() {
		r.HostPredicates = append(r.HostPredicates, h.GetName())
	}
	return r
}

// RetriesStatus reports whether Envoy retries an upstream answer with this
// HTTP status under the policy's retry_on conditions (the conditions that
// look at response headers; gRPC ones read grpc-status, not the status).
func (r *Retry) RetriesStatus(status int) bool {
	if r == nil || r.Attempts == 0 {
		return false
	}
	for _, c := range r.RetryOn {
		if retriesOn(c, status, r.StatusCodes) {
			return true
		}
	}
	return false
}

func retriesOn(cond string, status int, codes []uint32) bool {
	switch cond {
	case "5xx":
		return status >= 500 && status <= 599
	case "gateway-error":
		return status == 502 || status == 503 || status == 504
	case "retriable-4xx":
		return status == 409
	case "retriable-status-codes":
		return slices.Contains(codes, uint32(status))
	}
	return false
}

// BackoffBase is the base interval between retries, Envoy's 25ms when unset.
func (r *Retry) BackoffBase() time.Duration {
	if r == nil || r.Backoff == nil {
		return 25 * time.Millisecond
	}
	return *r.Backoff
}
