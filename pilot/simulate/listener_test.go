package simulate

import (
	"errors"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/xds/build"
)

// lisAt is a listener on ip:port; bound says whether it binds the port
// (handed-over listeners do not).
func lisAt(name, ip string, port uint32, bound bool) *listenerv3.Listener {
	return &listenerv3.Listener{Name: name, Address: build.SocketAddress(ip, port), BindToPort: wrapperspb.Bool(bound)}
}

// lisCapture is a capture listener like weft's virtualOutbound.
func lisCapture(name string, port uint32) *listenerv3.Listener {
	l := lisAt(name, "0.0.0.0", port, true)
	l.UseOriginalDst = wrapperspb.Bool(true)
	return l
}

func lisAPI(name string) *listenerv3.Listener {
	hcm := build.HTTPConnectionManager(build.HCMOptions{StatPrefix: name, RDS: name})
	return &listenerv3.Listener{Name: name, ApiListener: &listenerv3.ApiListener{ApiListener: build.MustAny(hcm)}}
}

func lisConfig(ls ...*listenerv3.Listener) *Config {
	c := NewConfig()
	c.Listeners = ls
	return c
}

// lisOutbound is an outbound request to ip:port.
func lisOutbound(ip string, port uint32) *Request {
	return &Request{Direction: Outbound, DestIP: ip, DestPort: port, SourceIP: "10.244.0.10", Protocol: TCP}
}

func lisWantCannot(t *testing.T, err error) {
	t.Helper()
	var cs *CannotSimulateError
	if !errors.As(err, &cs) {
		t.Fatalf("err = %v, want a CannotSimulateError", err)
	}
}

// Envoy: listener use_original_dst — a redirected connection goes to
// the listener on exactly its original destination, else the one on
// the wildcard address of that port, else stays on the capturing
// listener; listeners with bind_to_port false still take it. iptables
// finds the capture listener by port, whatever its name.
func TestMatchListenerOriginalDst(t *testing.T) {
	ls := []*listenerv3.Listener{
		lisCapture("capture-out", 15001),
		lisCapture("capture-in", 15006),
		lisAt("0.0.0.0_3306", "0.0.0.0", 3306, false),
		lisAt("10.96.0.40_3306", "10.96.0.40", 3306, false),
		lisAt("[::]_8080", "::", 8080, false),
	}
	cases := []struct {
		name, ip string
		port     uint32
		dir      Direction
		want     string
	}{
		{"exact address beats wildcard", "10.96.0.40", 3306, Outbound, "10.96.0.40_3306"},
		{"wildcard on the port", "10.96.0.41", 3306, Outbound, "0.0.0.0_3306"},
		{"IPv6 wildcard for an IPv6 destination", "fd00::1", 8080, Outbound, "[::]_8080"},
		{"an IPv4 destination does not reach [::]", "10.96.0.1", 8080, Outbound, "capture-out"},
		{"no listener: stays on the capture listener", "1.2.3.4", 443, Outbound, "capture-out"},
		{"inbound capture hands over too", "10.96.0.40", 3306, Inbound, "10.96.0.40_3306"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := lisOutbound(tc.ip, tc.port)
			req.Direction = tc.dir
			res := &Result{}
			l, err := lisConfig(ls...).matchListener(req, res)
			if err != nil || l.GetName() != tc.want || res.Listener != tc.want {
				t.Fatalf("listener = %q (result %q), err %v; want %q", l.GetName(), res.Listener, err, tc.want)
			}
			if len(res.Trace) != 1 || res.Trace[0].Stage != "listener" {
				t.Fatalf("trace = %v", res.Trace)
			}
		})
	}
}

// Envoy: use_original_dst only hands over from a listener that sets it;
// weft's virtualInbound keeps every connection (its original_dst
// listener filter restores the address for filter chain matching only).
func TestMatchListenerInboundStays(t *testing.T) {
	in := lisAt("virtualInbound", "0.0.0.0", 15006, true)
	c := lisConfig(lisCapture("virtualOutbound", 15001), in, lisAt("0.0.0.0_9080", "0.0.0.0", 9080, false))
	req := lisOutbound("10.244.0.10", 9080)
	req.Direction = Inbound
	l, err := c.matchListener(req, &Result{})
	if err != nil || l != in {
		t.Fatalf("listener = %q, err %v; want virtualInbound", l.GetName(), err)
	}
}

// iptables redirects to a port: with no listener bound there (absent,
// or bind_to_port false) the kernel refuses the connection.
func TestMatchListenerNoCapture(t *testing.T) {
	for _, c := range []*Config{lisConfig(), lisConfig(lisAt("virtualOutbound", "0.0.0.0", 15001, false))} {
		res := &Result{}
		l, err := c.matchListener(lisOutbound("10.96.0.1", 80), res)
		if l != nil || err != nil || res.Failure == nil || res.Failure.Status != 0 {
			t.Fatalf("listener %v, err %v, failure %v; want connection refused", l, err, res.Failure)
		}
	}
}

// Two listeners on one capture port, or config the hand-off does not
// model, are reported rather than guessed at.
func TestMatchListenerCannot(t *testing.T) {
	multi := lisAt("extra", "10.0.0.1", 9000, false)
	multi.AdditionalAddresses = []*listenerv3.AdditionalAddress{{Address: build.SocketAddress("10.0.0.2", 9000)}}
	for name, c := range map[string]*Config{
		"two capture listeners": lisConfig(lisCapture("a", 15001), lisCapture("b", 15001)),
		"additional_addresses":  lisConfig(lisCapture("a", 15001), multi),
		"bad destination":       lisConfig(lisCapture("a", 15001)),
	} {
		req := lisOutbound("10.0.0.2", 9000)
		if name == "bad destination" {
			req.DestIP = "reviews"
		}
		_, err := c.matchListener(req, &Result{})
		t.Run(name, func(t *testing.T) { lisWantCannot(t, err) })
	}
}

// gRFC A27 / grpc-go: a client subscribes to the listener named as its
// target; when LDS has none, its resolver fails every RPC UNAVAILABLE.
func TestMatchListenerProxyless(t *testing.T) {
	target := "reviews.default.svc.cluster.local:9080"
	c := lisConfig(lisAPI(target), lisAt("ratings:9080", "0.0.0.0", 9080, true))
	res := &Result{}
	l, err := c.matchListener(&Request{Target: target, Protocol: GRPC}, res)
	if err != nil || l.GetName() != target || res.Listener != target {
		t.Fatalf("listener %q, err %v", l.GetName(), err)
	}
	res = &Result{}
	l, err = c.matchListener(&Request{Target: "details:9080", Protocol: GRPC}, res)
	if l != nil || err != nil || res.Failure == nil || res.Failure.Flag != "UNAVAILABLE" {
		t.Fatalf("missing listener: %v, %v, %v; want UNAVAILABLE", l, err, res.Failure)
	}
	_, err = c.matchListener(&Request{Target: "ratings:9080"}, &Result{})
	lisWantCannot(t, err)
}

// Envoy: API listeners have no filter chains; the HCM runs in-process,
// so the wrapped chain carries it to the driver.
func TestSelectFilterChainAPIListener(t *testing.T) {
	l := lisAPI("reviews:9080")
	res := &Result{}
	fc, err := selectFilterChain(l, &Request{Target: "reviews:9080"}, res)
	if err != nil || len(fc.GetFilters()) != 1 || fc.GetFilters()[0].GetName() != filterHCM {
		t.Fatalf("chain %v, err %v", fc, err)
	}
	if fc.GetFilters()[0].GetTypedConfig() != l.GetApiListener().GetApiListener() {
		t.Fatal("the wrapped filter does not carry the API listener's HCM")
	}
	l.ApiListener.ApiListener = build.MustAny(&corev3.Address{})
	_, err = selectFilterChain(l, &Request{}, &Result{})
	lisWantCannot(t, err)
}

// Istio's iptables leave outbound connections to loopback addresses
// alone: 127.0.0.1:9080 reaches a listener bound there, a listener that
// does not bind is not reachable, and with nothing bound the connection
// is refused rather than captured.
func TestMatchListenerLoopback(t *testing.T) {
	c := lisConfig(lisCapture("capture-out", 15001), lisAt("127.0.0.1_9080", "127.0.0.1", 9080, true),
		lisAt("127.0.0.1_9090", "127.0.0.1", 9090, false))
	for _, tt := range []struct {
		port     uint32
		listener string
	}{{9080, "127.0.0.1_9080"}, {9090, ""}, {7000, ""}} {
		res := &Result{}
		l, err := c.matchListener(lisOutbound("127.0.0.1", tt.port), res)
		if err != nil || l.GetName() != tt.listener {
			t.Errorf("127.0.0.1:%d: listener %q (err %v), want %q", tt.port, l.GetName(), err, tt.listener)
		}
		if tt.listener == "" && res.Failure == nil {
			t.Errorf("127.0.0.1:%d: want connection refused", tt.port)
		}
	}
}
