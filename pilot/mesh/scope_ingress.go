package mesh

import (
	"net"
	"strconv"
	"strings"
)

// IngressListener is one Sidecar ingress listener: how the proxy serves
// inbound traffic on Port in place of the workload's Service ports.
type IngressListener struct {
	Port Port
	// DefaultEndpoint is where the proxy forwards: "" the connection's
	// original destination (the pod IP and port), "127.0.0.1:PORT",
	// "0.0.0.0:PORT" (the pod IP) or "unix:///path".
	DefaultEndpoint string
	// Bind and CaptureNone: with captureMode NONE the proxy binds a
	// listener of its own on Bind:Port instead of serving redirected traffic.
	Bind        string
	CaptureNone bool
	// Pool is the ingress port's connectionPool, else the Sidecar's
	// inboundConnectionPool.
	Pool *ConnectionPool
}

// Istio's defaultEndpoint forms: the pod IP and localhost.
const (
	PodIPEndpoint     = "0.0.0.0"
	LocalhostEndpoint = "127.0.0.1"
	UnixPrefix        = "unix://"
)

// HasIngress reports whether a Sidecar's ingress listeners replace the
// inbound ports the workload's Services declare, as in istiod.
func (s *Scope) HasIngress() bool { return s != nil && len(s.Ingress) > 0 }

// InboundPool is the connection pool of the proxy's inbound cluster for a
// port: the ingress listener's own, else the Sidecar's inboundConnectionPool.
func (s *Scope) InboundPool(port uint32) *ConnectionPool {
	if s == nil {
		return nil
	}
	for _, in := range s.Ingress {
		if in.Port.Number == port && in.Pool != nil {
			return in.Pool
		}
	}
	return s.InboundPoolDefault
}

// Endpoint resolves DefaultEndpoint for a proxy at podIP: the address and
// port to forward to, unix for a socket path, ok false for the original
// destination.
func (in IngressListener) Endpoint(podIP string) (addr string, port uint32, unix, ok bool) {
	if path, isUnix := strings.CutPrefix(in.DefaultEndpoint, UnixPrefix); isUnix {
		return path, 0, true, true
	}
	host, p, err := net.SplitHostPort(in.DefaultEndpoint)
	if err != nil {
		return "", 0, false, false
	}
	n, err := parsePort(p)
	if err != nil {
		return "", 0, false, false
	}
	if host == PodIPEndpoint {
		// Without a known pod IP istiod falls back to localhost.
		host = LocalhostEndpoint
		if podIP != "" {
			host = podIP
		}
	}
	return host, n, false, true
}

// UsesPodIP reports whether the listener's configuration depends on the
// proxy's own IP (a defaultEndpoint or bind on the pod IP).
func (in IngressListener) UsesPodIP() bool {
	return strings.HasPrefix(in.DefaultEndpoint, PodIPEndpoint+":") || in.CaptureNone && in.Bind == ""
}

func parsePort(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	return uint32(n), err
}

// rebound copies s for a proxy namespace, hosts left to the caller.
func (s *Scope) rebound(namespace string) *Scope {
	return &Scope{Ref: s.Ref, Selector: s.Selector, RegistryOnly: s.RegistryOnly, Ingress: s.Ingress,
		InboundPoolDefault: s.InboundPoolDefault, EgressProxy: s.EgressProxy, boundTo: namespace}
}
