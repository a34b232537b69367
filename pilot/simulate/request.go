package simulate

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// RequestSpec is a request as a person writes it on the command line:
// `GET http://reviews.default:9080/reviews/1 -H 'end-user: jason'`,
// `--inbound --port 9080 --from spiffe://cluster.local/ns/a/sa/b`,
// `--tcp 10.0.0.5:3306`.
type RequestSpec struct {
	Method  string
	URL     string   // http://, https:// (TLS with SNI) or a bare path for inbound
	Headers []string // "name: value"
	Inbound bool
	Port    uint32 // inbound: the port called
	From    string // the client's SPIFFE ID: the connection is Istio mTLS
	// ALPN is what that mTLS client offers; by default an Istio sidecar's
	// for the request's protocol (MeshClientALPN).
	ALPN     []string
	TCP      string // ip:port of a raw TCP connection
	IP       string // destination IP, when the URL's host is a name
	Protocol string // http1 (default), h2 or grpc
	SourceIP string
	// Target makes the request a proxyless gRPC client's: the listener it
	// asks for is the URL's host:port.
	Target bool
}

// Request turns the spec into a Request, or says what is wrong with it.
func (s RequestSpec) Request() (Request, error) {
	if s.TCP != "" {
		return s.tcpRequest()
	}
	r := Request{SourceIP: s.SourceIP, Method: strings.ToUpper(s.Method), Headers: map[string]string{}}
	if r.Method == "" {
		r.Method = "GET"
	}
	if err := s.protocol(&r); err != nil {
		return r, err
	}
	if err := s.target(&r); err != nil {
		return r, err
	}
	if err := parseHeaders(s.Headers, r.Headers); err != nil {
		return r, err
	}
	if host, ok := r.Headers["host"]; ok {
		// As with curl -H 'Host: x': the header, not the URL, names the virtual host.
		r.Authority = host
		delete(r.Headers, "host")
	}
	s.identity(&r)
	return r, nil
}

func (s RequestSpec) tcpRequest() (Request, error) {
	host, port, err := splitAddrPort(s.TCP)
	if err != nil || net.ParseIP(host) == nil {
		return Request{}, fmt.Errorf("--tcp %q: want IP:PORT", s.TCP)
	}
	r := Request{Protocol: TCP, DestIP: host, DestPort: port, SourceIP: s.SourceIP}
	if s.Inbound {
		r.Direction = Inbound
	}
	s.identity(&r)
	return r, nil
}

func (s RequestSpec) protocol(r *Request) error {
	switch strings.ToLower(s.Protocol) {
	case "", "http1", "http/1.1", "http":
		r.Protocol = HTTP1
	case "h2", "http2", "http/2":
		r.Protocol = HTTP2
	case "grpc":
		r.Protocol = GRPC
		r.Method = "POST"
	default:
		return fmt.Errorf("protocol %q: want http1, h2 or grpc", s.Protocol)
	}
	return nil
}

// target fills destination, authority and path from the URL (outbound) or
// the port and path (inbound).
func (s RequestSpec) target(r *Request) error {
	if s.Inbound {
		return s.inboundTarget(r)
	}
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("request URL %q: want http://HOST[:PORT]/PATH (or https)", s.URL)
	}
	host, port, err := hostPort(u)
	if err != nil {
		return err
	}
	r.Authority, r.Path, r.DestPort = u.Host, requestPath(u), port
	if u.Scheme == "https" {
		r.TLS = &TLS{SNI: host}
	}
	return s.destination(r, host)
}

func (s RequestSpec) destination(r *Request, host string) error {
	switch {
	case s.Target:
		r.Target = net.JoinHostPort(host, strconv.Itoa(int(r.DestPort)))
	case s.IP != "":
		if net.ParseIP(s.IP) == nil {
			return fmt.Errorf("--ip %q is not an IP address", s.IP)
		}
		r.DestIP = s.IP
	case net.ParseIP(host) != nil:
		r.DestIP = host
	}
	return nil
}

func (s RequestSpec) inboundTarget(r *Request) error {
	if s.Port == 0 {
		return fmt.Errorf("--inbound needs --port (the port the workload serves)")
	}
	r.Direction, r.DestPort, r.DestIP = Inbound, s.Port, s.IP
	r.Path, r.Authority = "/", "localhost:"+strconv.Itoa(int(s.Port))
	if s.URL == "" {
		return nil
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return fmt.Errorf("request URL %q: %v", s.URL, err)
	}
	if u.Host != "" {
		r.Authority = u.Host
	}
	r.Path = requestPath(u)
	return nil
}

func (s RequestSpec) identity(r *Request) {
	if s.From != "" {
		alpn := s.ALPN
		if len(alpn) == 0 {
			alpn = MeshClientALPN(r.Protocol)
		}
		r.TLS = &TLS{ClientID: s.From, ALPN: alpn}
	}
}

// MeshClientALPN is what an Istio client sidecar offers on mesh mTLS for
// a request of this protocol: for HTTP its istio.alpn filter's override
// by upstream protocol (istio-http/1.1 or istio-h2, then istio and the
// plain protocol), for TCP its cluster's istio-peer-exchange and istio.
func MeshClientALPN(p Protocol) []string {
	switch p {
	case HTTP1:
		return []string{"istio-http/1.1", "istio", "http/1.1"}
	case HTTP2, GRPC:
		return []string{"istio-h2", "istio", "h2"}
	}
	return []string{"istio-peer-exchange", "istio"}
}

func hostPort(u *url.URL) (string, uint32, error) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", 0, fmt.Errorf("request URL %q: port %q is not a port number", u.String(), port)
	}
	return host, uint32(n), nil
}

func requestPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

func splitAddrPort(s string) (string, uint32, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", 0, fmt.Errorf("port %q", port)
	}
	return host, uint32(n), nil
}

// parseHeaders reads "name: value" lines into lower-case names.
func parseHeaders(lines []string, into map[string]string) error {
	for _, h := range lines {
		name, value, ok := strings.Cut(h, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return fmt.Errorf("header %q: want 'name: value'", h)
		}
		into[name] = strings.TrimSpace(value)
	}
	return nil
}

// UnknownIP is the destination assumed when a request names its host and
// no address is known for it: an address (reserved, never assigned) that
// no listener binds, so the connection goes where Envoy sends traffic for
// an IP it has no listener of its own for — for HTTP ports, the
// 0.0.0.0:PORT listener.
const UnknownIP = "240.0.0.1"

// ResolveDestination gives a request whose destination IP is unknown one:
// the proxy's own IP for inbound requests, the host's address from addrs
// (host name → IP, as cluster DNS would answer) for outbound ones, else
// UnknownIP. It returns a note for the trace when it had to assume.
func (r *Request) ResolveDestination(proxyIP string, addrs map[string]string) string {
	if r.DestIP != "" || r.Target != "" {
		return ""
	}
	if r.Direction == Inbound && proxyIP != "" {
		r.DestIP = proxyIP
		return ""
	}
	host := r.Authority
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip := addrs[host]; ip != "" {
		r.DestIP = ip
		return ""
	}
	r.DestIP = UnknownIP
	return fmt.Sprintf("the address of %q is unknown: assumed %s, which no listener binds (pass --ip to choose)", host, UnknownIP)
}

// NodeIP is the IP in an Istio-style node id (sidecar~IP~POD.NS~DOMAIN).
func NodeIP(nodeID string) string {
	parts := strings.Split(nodeID, "~")
	if len(parts) == 4 && net.ParseIP(parts[1]) != nil {
		return parts[1]
	}
	return ""
}
