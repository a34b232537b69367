package translate

//lint:file-ignore SA1019 Istio still honours its deprecated fields (fault.delay.percent, mirrorPercent, LEAST_CONN, consecutiveErrors, minimumRingSize), and so must weft.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

func itoa(i int) string { return strconv.Itoa(i) }

// retry converts retries; nil keeps the proxy kind's default policy.
func retry(r *networking.HTTPRetry) *mesh.Retry {
	if r == nil {
		return nil
	}
	out := &mesh.Retry{Attempts: uint32(max(r.GetAttempts(), 0)), PerTryTimeout: dur(r.GetPerTryTimeout()),
		Backoff: dur(r.GetBackoff()), RemoteLocalities: r.GetRetryRemoteLocalities().GetValue()}
	if ip := r.GetRetryIgnorePreviousHosts(); ip != nil && !ip.GetValue() {
		out.AllowPreviousHosts = true
	}
	out.RetryOn, out.StatusCodes = retryOn(r.GetRetryOn())
	if len(out.RetryOn) == 0 {
		out.RetryOn = mesh.DefaultRetryOn
	}
	return out
}

// retryOn splits Istio's retryOn into Envoy's condition names and status
// codes: Envoy takes codes only in retriable_status_codes, and only acts on
// them under the retriable-status-codes condition, which istiod adds when
// the user listed codes without it.
func retryOn(s string) ([]string, []uint32) {
	var conds []string
	var codes []uint32
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if n, err := strconv.Atoi(c); err == nil && http.StatusText(n) != "" {
			codes = append(codes, uint32(n))
		} else if c != "" {
			conds = append(conds, c)
		}
	}
	if len(codes) > 0 && !slices.Contains(conds, retriableStatusCodes) {
		conds = append(conds, retriableStatusCodes)
	}
	return conds, codes
}

const retriableStatusCodes = "retriable-status-codes"

func fault(f *networking.HTTPFaultInjection) *mesh.Fault {
	d, a := f.GetDelay(), f.GetAbort()
	// A delay without fixedDelay or an abort without an HTTP or gRPC status
	// says nothing Envoy can inject; Istio accepts and ignores them (an
	// http2Error abort included: validation refuses it, istiod drops it).
	if d.GetFixedDelay() == nil {
		d = nil
	}
	if a.GetHttpStatus() == 0 && a.GetGrpcStatus() == "" {
		a = nil
	}
	if d == nil && a == nil {
		return nil
	}
	out := &mesh.Fault{}
	if d != nil {
		// Istio's reference: "If left unspecified, no request will be
		// delayed"; istiod falls back to the deprecated integer percent, 0
		// when unset, so the delay is configured but never injected.
		out.HasDelay, out.Delay = true, dur(d.GetFixedDelay())
		out.DelayPercent = float64(d.GetPercent())
		if d.GetPercentage() != nil {
			out.DelayPercent = d.GetPercentage().GetValue()
		}
	}
	if a != nil {
		// Likewise "If not specified, no request will be aborted": istiod
		// leaves the percentage out and Envoy reads that as 0%.
		out.HasAbort, out.AbortPercent = true, a.GetPercentage().GetValue()
		if a.GetGrpcStatus() != "" {
			code := grpcCode(a.GetGrpcStatus())
			out.AbortGRPC = &code
		} else {
			out.AbortHTTP = uint32(max(a.GetHttpStatus(), 0))
		}
	}
	return out
}

// grpcCode accepts a status name ("UNAVAILABLE") or number ("14").
func grpcCode(s string) uint32 {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return uint32(n)
	}
	var c codes.Code
	if err := c.UnmarshalJSON([]byte(strconv.Quote(strings.ToUpper(s)))); err == nil {
		return uint32(c)
	}
	return uint32(codes.Unknown)
}

func percentOr100(p *networking.Percent) float64 {
	if p == nil {
		return 100
	}
	return p.GetValue()
}

func headerOps(h *networking.Headers) mesh.HeaderOps {
	var out mesh.HeaderOps
	if r := h.GetRequest(); r != nil {
		out.RequestSet, out.RequestAdd, out.RequestRemove = r.GetSet(), r.GetAdd(), r.GetRemove()
	}
	if r := h.GetResponse(); r != nil {
		out.ResponseSet, out.ResponseAdd, out.ResponseRemove = r.GetSet(), r.GetAdd(), r.GetRemove()
	}
	return out
}

func cors(c *networking.CorsPolicy) *mesh.Cors {
	if c == nil {
		return nil
	}
	out := &mesh.Cors{AllowMethods: c.GetAllowMethods(), AllowHeaders: c.GetAllowHeaders(), ExposeHeaders: c.GetExposeHeaders(),
		MaxAge: dur(c.GetMaxAge()), AllowCredentials: boolPtr(c.GetAllowCredentials())}
	for _, o := range c.GetAllowOrigins() {
		if sm := stringMatch(o); sm != nil {
			out.AllowOrigins = append(out.AllowOrigins, *sm)
		}
	}
	// The deprecated allowOrigin lists exact origins; as in istiod it
	// counts only when allowOrigins is empty.
	if len(c.GetAllowOrigins()) == 0 {
		for _, o := range c.GetAllowOrigin() {
			out.AllowOrigins = append(out.AllowOrigins, mesh.StringMatch{Kind: mesh.MatchExact, Value: o})
		}
	}
	return out
}

// boolPtr keeps a wrapper's "unset" (nil) apart from an explicit false.
func boolPtr(b *wrapperspb.BoolValue) *bool {
	if b == nil {
		return nil
	}
	v := b.GetValue()
	return &v
}

func rewrite(r *networking.HTTPRewrite) *mesh.Rewrite {
	if r == nil {
		return nil
	}
	out := &mesh.Rewrite{Prefix: r.GetUri(), Authority: r.GetAuthority()}
	if rr := r.GetUriRegexRewrite(); rr != nil {
		out.RegexMatch, out.RegexReplace = rr.GetMatch(), rr.GetRewrite()
	}
	return out
}

// redirect converts a redirect; derivePort is not acted on (as before).
func redirect(r *networking.HTTPRedirect) *mesh.Redirect {
	return &mesh.Redirect{Path: r.GetUri(), Authority: r.GetAuthority(), Port: r.GetPort(), Scheme: r.GetScheme(), Code: r.GetRedirectCode()}
}

func directResponse(d *networking.HTTPDirectResponse) *mesh.DirectResponse {
	out := &mesh.DirectResponse{Status: d.GetStatus()}
	if b := d.GetBody(); b != nil {
		out.Body = b.GetString_()
		if out.Body == "" {
			out.Body = string(b.GetBytes())
		}
	}
	return out
}
