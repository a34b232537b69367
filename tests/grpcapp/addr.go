package grpcapp

import (
	"context"
	"fmt"
	"net"
	"time"
)

// requireLoopback refuses any host:port outside 127.0.0.0/8 so tests and the
// demo can never send traffic off the machine.
func requireLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("address %q: %w", hostport, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not in 127.0.0.0/8", hostport)
	}
	return nil
}

// withDefaultTimeout bounds ctx by d unless it already carries a deadline,
// so that every wait in this package ends even when callers forget one.
func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
