//lint:file-ignore SA1019 the test sets the deprecated consecutiveErrors to show istiod ignores it.

package translate

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"
)

// Istio's TCPSettings.idleTimeout: "If not set, the default idle timeout
// is 1 hour. If set to 0s, the timeout will be disabled": unset and 0s
// must stay apart in the IR.
func TestTCPIdleTimeoutKeepsZeroApartFromUnset(t *testing.T) {
	tests := []struct {
		name string
		in   *durationpb.Duration
		want *time.Duration
	}{
		{"unset", nil, nil},
		{"0s disables", durationpb.New(0), ptr(time.Duration(0))},
		{"5m", durationpb.New(5 * time.Minute), ptr(5 * time.Minute)},
		{"negative is invalid, so unset", durationpb.New(-time.Second), nil},
	}
	for _, tt := range tests {
		cp := connectionPool(&networking.ConnectionPoolSettings{Tcp: &networking.ConnectionPoolSettings_TCPSettings{IdleTimeout: tt.in}})
		got := cp.TCPIdleTimeout
		if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// useClientProtocol: "when this is set to true, h2UpgradePolicy will be
// ineffective".
func TestUseClientProtocolCancelsH2Upgrade(t *testing.T) {
	cp := connectionPool(&networking.ConnectionPoolSettings{Http: &networking.ConnectionPoolSettings_HTTPSettings{
		UseClientProtocol: true, H2UpgradePolicy: networking.ConnectionPoolSettings_HTTPSettings_UPGRADE}})
	if !cp.UseClientProtocol || cp.H2Upgrade {
		t.Errorf("got useClientProtocol %v, h2 upgrade %v; want true, false", cp.UseClientProtocol, cp.H2Upgrade)
	}
}

// istiod reads neither the deprecated consecutiveErrors nor local-origin
// counts without splitExternalLocalOriginErrors; failurePercentageThreshold
// keeps an explicit 0 apart from unset.
func TestOutlierDetectionFieldsIstiodIgnores(t *testing.T) {
	od := outlierDetection(&networking.OutlierDetection{ConsecutiveErrors: 3,
		ConsecutiveLocalOriginFailures: wrapperspb.UInt32(2), FailurePercentageThreshold: wrapperspb.UInt32(0)})
	if od.Consecutive5xx != nil || od.ConsecutiveLocalOrigin != 0 {
		t.Errorf("got consecutive5xx %v, local origin %d; want unset, 0", od.Consecutive5xx, od.ConsecutiveLocalOrigin)
	}
	if od.FailurePercentage == nil || *od.FailurePercentage != 0 {
		t.Errorf("failure percentage %v, want explicit 0", od.FailurePercentage)
	}
}

func ptr[T any](v T) *T { return &v }
