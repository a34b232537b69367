package grpcapp

import (
	"context"
	"fmt"
	"net"
	"time"
)

// requireLoopback refuses any host:port that is not on the loopback
// interface, so tests and the demo can never send traffic off the machine:
// 127.0.0.0/8, or a subnet a test put on lo inside its own network
// namespace (kube-mode e2e uses 10.244.0.0/16 there).
func requireLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("address %q: %w", hostport, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() == nil {
		return fmt.Errorf("address %q is not an IPv4 address", hostport)
	}
	if ip.IsLoopback() || onLoopbackInterface(ip) {
		return nil
	}
	return fmt.Errorf("address %q is neither in 127.0.0.0/8 nor on the loopback interface", hostport)
}

// onLoopbackInterface reports whether ip lies in a subnet assigned to a
// loopback interface of this network namespace.
func onLoopbackInterface(ip net.IP) bool {
	ifaces, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.Contains(ip) {
				return true
			}
		}
	}
	return false
}

// withDefaultTimeout bounds ctx by d unless it already carries a deadline,
// so that every wait in this package ends even when callers forget one.
func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
