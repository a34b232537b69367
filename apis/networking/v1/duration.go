package v1

import (
	"fmt"
	"time"
)

// Duration is a protobuf Duration as Istio YAML writes it: a string such as
// "1.5s", "100ms", "5m" or "1h30m" (Go duration syntax).
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:Pattern=`^(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`
type Duration string

// Parse converts d to a time.Duration; negative durations are rejected.
func (d Duration) Parse() (time.Duration, error) {
	v, err := time.ParseDuration(string(d))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: %w", string(d), err)
	}
	if v < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", string(d))
	}
	return v, nil
}

// DurationOf formats t the way Istio YAML writes durations.
func DurationOf(t time.Duration) Duration { return Duration(t.String()) }
