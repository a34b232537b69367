package translate

import (
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	"github.com/weftmesh/weft/pilot/mesh"
)

func itoa(i int) string { return strconv.Itoa(i) }

// retry converts retries; nil keeps the proxy kind's default policy.
func retry(r *networkingv1.HTTPRetry) *mesh.Retry {
	if r == nil {
		return nil
	}
	out := &mesh.Retry{Attempts: uint32(max(r.Attempts, 0)), PerTryTimeout: dur(r.PerTryTimeout)}
	for _, c := range strings.Split(r.RetryOn, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out.RetryOn = append(out.RetryOn, c)
		}
	}
	if len(out.RetryOn) == 0 {
		out.RetryOn = mesh.DefaultRetryOn
	}
	return out
}

func fault(f *networkingv1.HTTPFaultInjection) *mesh.Fault {
	if f == nil || (f.Delay == nil && f.Abort == nil) {
		return nil
	}
	out := &mesh.Fault{}
	if d := f.Delay; d != nil {
		out.HasDelay, out.Delay = true, dur(d.FixedDelay)
		out.DelayPercent = percentOr100(d.Percentage)
		if d.Percentage == nil && d.Percent > 0 {
			out.DelayPercent = float64(d.Percent)
		}
	}
	if a := f.Abort; a != nil {
		out.HasAbort, out.AbortPercent = true, percentOr100(a.Percentage)
		if a.GRPCStatus != "" {
			code := grpcCode(a.GRPCStatus)
			out.AbortGRPC = &code
		} else {
			out.AbortHTTP = uint32(max(a.HTTPStatus, 0))
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

func percentOr100(p *networkingv1.Percent) float64 {
	if p == nil {
		return 100
	}
	return p.Value
}

func headerOps(h *networkingv1.Headers) mesh.HeaderOps {
	var out mesh.HeaderOps
	if h == nil {
		return out
	}
	if r := h.Request; r != nil {
		out.RequestSet, out.RequestAdd, out.RequestRemove = r.Set, r.Add, r.Remove
	}
	if r := h.Response; r != nil {
		out.ResponseSet, out.ResponseAdd, out.ResponseRemove = r.Set, r.Add, r.Remove
	}
	return out
}

func cors(c *networkingv1.CorsPolicy) *mesh.Cors {
	if c == nil {
		return nil
	}
	out := &mesh.Cors{AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders, ExposeHeaders: c.ExposeHeaders,
		MaxAge: dur(c.MaxAge), AllowCredentials: c.AllowCredentials}
	for i := range c.AllowOrigins {
		if sm := stringMatch(&c.AllowOrigins[i]); sm != nil {
			out.AllowOrigins = append(out.AllowOrigins, *sm)
		}
	}
	return out
}

func rewrite(r *networkingv1.HTTPRewrite) *mesh.Rewrite {
	if r == nil {
		return nil
	}
	out := &mesh.Rewrite{Prefix: r.URI, Authority: r.Authority}
	if rr := r.URIRegexRewrite; rr != nil {
		out.RegexMatch, out.RegexReplace = rr.Match, rr.Rewrite
	}
	return out
}

func redirect(r *networkingv1.HTTPRedirect) *mesh.Redirect {
	return &mesh.Redirect{Path: r.URI, Authority: r.Authority, Port: r.Port, Scheme: r.Scheme, Code: r.RedirectCode}
}

func directResponse(d *networkingv1.HTTPDirectResponse) *mesh.DirectResponse {
	out := &mesh.DirectResponse{Status: d.Status}
	if d.Body != nil {
		out.Body = d.Body.String
		if out.Body == "" {
			out.Body = string(d.Body.Bytes)
		}
	}
	return out
}
