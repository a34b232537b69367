package iptables

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// outside is a destination that is not local: routed to a link that drops
// everything, so a connection only succeeds if it is captured.
const (
	dummyIf   = "weftcap0"
	dummyAddr = "10.99.0.1/24"
	outside   = "10.99.0.2:8080"
	soOrigDst = 80 // SO_ORIGINAL_DST (linux/netfilter_ipv4.h)
)

// TestCaptureRedirectsAllButProxyUID applies the default rules in the
// private namespace: UID 1000's connection to an outside address lands on
// the capture port with that address as its original destination, UID
// 1337's is not redirected (it goes out to that link and times out).
func TestCaptureRedirectsAllButProxyUID(t *testing.T) {
	kubeenv.RequirePrivateNetwork(t)
	if _, err := exec.LookPath("iptables-restore"); err != nil {
		harness.Missing(t, "iptables-restore not installed (hack/ensure-iptables.sh installs it): %v", err)
	}
	addBlackholeLink(t)
	runCmd(t, "ip", "link", "set", dummyIf, "up")
	runCmd(t, "ip", "addr", "add", dummyAddr, "dev", dummyIf)
	accepted := captureListener(t)
	rules, err := Rules(defaults())
	if err != nil {
		t.Fatal(err)
	}
	// Twice, as a restarted init container would: the table must not grow.
	for range 2 {
		if err := Apply(context.Background(), rules); err != nil {
			t.Fatal(err)
		}
	}
	requireSingleJumps(t)
	if err := dialAs(1000, outside); err != nil {
		t.Fatalf("uid 1000 dial %s: %v", outside, err)
	}
	select {
	case dst := <-accepted:
		if dst != outside {
			t.Fatalf("captured connection's original destination %s, want %s", dst, outside)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("uid 1000's connection never reached the capture port 15001")
	}
	if err := dialAs(1337, outside); err == nil {
		t.Fatal("uid 1337 connected to the outside address: it was redirected")
	}
	select {
	case dst := <-accepted:
		t.Fatalf("uid 1337's connection to %s was captured", dst)
	case <-time.After(500 * time.Millisecond):
	}
}

func requireSingleJumps(t *testing.T) {
	t.Helper()
	out, err := exec.Command("iptables-save", "-t", "nat").Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	for _, jump := range []string{"-A OUTPUT -p tcp -j ISTIO_OUTPUT", "-A PREROUTING -p tcp -j ISTIO_INBOUND"} {
		if n := strings.Count(string(out), jump+"\n"); n != 1 {
			t.Errorf("%q appears %d times after two applies:\n%s", jump, n, out)
		}
	}
}

// addBlackholeLink makes a link that drops what is routed to it: a dummy
// device, or where that module is missing an empty bridge (no ports).
func addBlackholeLink(t *testing.T) {
	t.Helper()
	var errs []string
	for _, kind := range []string{"dummy", "bridge"} {
		out, err := exec.Command("ip", "link", "add", dummyIf, "type", kind).CombinedOutput()
		if err == nil {
			return
		}
		errs = append(errs, fmt.Sprintf("%s: %v: %s", kind, err, out))
	}
	t.Fatalf("cannot add a link to route the outside address to: %v", errs)
}

func runCmd(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

// captureListener accepts on 15001 (inside the private namespace only) and
// reports each connection's SO_ORIGINAL_DST.
func captureListener(t *testing.T) <-chan string {
	ln, err := net.Listen("tcp4", "0.0.0.0:15001")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dst, err := originalDst(c.(*net.TCPConn))
			if err != nil {
				dst = "error: " + err.Error()
			}
			c.Close()
			out <- dst
		}
	}()
	return out
}

func originalDst(c *net.TCPConn) (string, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return "", err
	}
	var addr string
	var gerr error
	err = raw.Control(func(fd uintptr) {
		// sockaddr_in fits in IPv6Mreq's 20 bytes: the usual way to read
		// SO_ORIGINAL_DST through package syscall.
		m, e := syscall.GetsockoptIPv6Mreq(int(fd), syscall.IPPROTO_IP, soOrigDst)
		if e != nil {
			gerr = e
			return
		}
		b := m.Multiaddr
		port := binary.BigEndian.Uint16(b[2:4])
		addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]}), port).String()
	})
	if err == nil {
		err = gerr
	}
	return addr, err
}

// dialAs connects to addr from a socket created with filesystem UID uid:
// the owner match reads the socket file's credentials, fixed at creation.
// setfsuid through RawSyscall changes only this locked thread.
func dialAs(uid int, addr string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	prev, _, _ := syscall.RawSyscall(syscall.SYS_SETFSUID, uintptr(uid), 0, 0)
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	check, _, _ := syscall.RawSyscall(syscall.SYS_SETFSUID, prev, 0, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(fd)
	if int(check) != uid {
		return fmt.Errorf("could not switch to fsuid %d (user namespace without that uid?)", uid)
	}
	tv := syscall.Timeval{Sec: 1}
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return fmt.Errorf("SO_SNDTIMEO: %w", err)
	}
	ap := netip.MustParseAddrPort(addr)
	return syscall.Connect(fd, &syscall.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())})
}
