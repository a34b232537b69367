package translate

import (
	"slices"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
)

// An http2Error abort has no status Envoy can send: istiod drops it (and
// validation refuses it), so it must not become an abort with status 0.
func TestFaultDropsHTTP2ErrorAbort(t *testing.T) {
	f := fault(&networking.HTTPFaultInjection{Abort: &networking.HTTPFaultInjection_Abort{
		ErrorType: &networking.HTTPFaultInjection_Abort_Http2Error{Http2Error: "REFUSED_STREAM"},
	}})
	if f != nil {
		t.Fatalf("fault = %+v, want none", f)
	}
}

// Istio's reference: an unset percentage delays and aborts no request.
func TestFaultPercentageUnsetIsZero(t *testing.T) {
	f := fault(&networking.HTTPFaultInjection{
		Delay: &networking.HTTPFaultInjection_Delay{HttpDelayType: &networking.HTTPFaultInjection_Delay_FixedDelay{FixedDelay: nil}},
		Abort: &networking.HTTPFaultInjection_Abort{ErrorType: &networking.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: 503}},
	})
	if f == nil || !f.HasAbort || f.AbortPercent != 0 {
		t.Fatalf("fault = %+v, want a 0%% abort", f)
	}
}

func TestRetryOnSplitsStatusCodes(t *testing.T) {
	for _, tt := range []struct {
		in    string
		conds []string
		codes []uint32
	}{
		{"503", []string{"retriable-status-codes"}, []uint32{503}},
		{"5xx, 503,retriable-status-codes", []string{"5xx", "retriable-status-codes"}, []uint32{503}},
		{"gateway-error,unavailable", []string{"gateway-error", "unavailable"}, nil},
		{"999,reset", []string{"999", "reset"}, nil}, // not an HTTP status: passed on, as istiod does
	} {
		conds, codes := retryOn(tt.in)
		if !slices.Equal(conds, tt.conds) || !slices.Equal(codes, tt.codes) {
			t.Errorf("retryOn(%q) = %v %v, want %v %v", tt.in, conds, codes, tt.conds, tt.codes)
		}
	}
}
