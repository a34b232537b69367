package weftdproc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// pollInterval is how often readiness and free ports are checked.
const pollInterval = 100 * time.Millisecond

// WaitReady polls until weftd is ready, it exits, or ctx ends. Ready means
// /debug/syncz answers 200 and the secure port, if any, accepts connections
// (it opens only once weftd's CA is up).
func (p *Process) WaitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for !p.ready(ctx, client) {
		select {
		case <-p.exited:
			return fmt.Errorf("weftd exited before it was ready: %v", p.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("weftd not ready (debug %s, secure %q): %w", p.DebugAddr, p.SecureAddr, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

func (p *Process) ready(ctx context.Context, client *http.Client) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.DebugAddr+"/debug/syncz", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	return p.SecureAddr == "" || accepts(p.SecureAddr)
}

func accepts(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	return conn.Close() == nil
}

// waitPortsFree waits until the given addresses can be bound again, so a
// restarted weftd does not race its predecessor's listeners.
func waitPortsFree(ctx context.Context, addrs ...string) error {
	for _, addr := range addrs {
		for addr != "" && portFree(addr) != nil {
			select {
			case <-ctx.Done():
				return fmt.Errorf("port %s still taken: %w", addr, ctx.Err())
			case <-time.After(pollInterval):
			}
		}
	}
	return nil
}

func portFree(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return lis.Close()
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer lis.Close()
	return lis.Addr().String(), nil
}
