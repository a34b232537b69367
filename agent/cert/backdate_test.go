package cert

import (
	"crypto/x509"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// A CA backdates NotBefore for clock skew; half of a 20 s certificate's
// life must still be 10 s after it arrives, not "already past".
func TestRotationIgnoresBackdatedNotBefore(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := &Manager{opts: Options{RotationFraction: 0.5, Rand: func() float64 { return 0.5 }, BackoffInitial: time.Second,
		Clock: clocktesting.NewFakeClock(now)}}
	b := &Bundle{Received: now, Leaf: &x509.Certificate{NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(20 * time.Second)}}
	if got := m.rotationDelay(b); got != 10*time.Second {
		t.Fatalf("rotation in %v, want 10s (half of the lifetime left at receipt)", got)
	}
}
