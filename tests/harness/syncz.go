package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Syncz is weftd's /debug/syncz answer (mirrors pilot/xds/server.ProxyStatus).
type Syncz struct {
	Raw     json.RawMessage
	Proxies []ProxyStatus
}

// ProxyStatus is one connected proxy.
type ProxyStatus struct {
	ID        string                `json:"id"`
	Kind      string                `json:"kind"` // "sidecar" or "grpc"
	Namespace string                `json:"namespace"`
	Streams   int                   `json:"streams"`
	Types     map[string]TypeStatus `json:"types"` // by type URL
	Nacks     int                   `json:"nacks"` // NACKs since the proxy connected
	LastNack  *Nack                 `json:"lastNack,omitempty"`
}

// TypeStatus is what weftd sent and the proxy acknowledged for one type.
type TypeStatus struct {
	Sent   string `json:"sent"`
	Acked  string `json:"acked"`
	Nacked bool   `json:"nacked"` // the latest response of this type was NACKed
}

// Nack is the last rejection a proxy reported.
type Nack struct {
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Error   string    `json:"error"`
	Time    time.Time `json:"time"`
}

// maxDebugBody bounds how much of a debug response is read.
const maxDebugBody = 32 << 20

// get fetches a debug path and returns the body of a 200 answer.
func (w *Weftd) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+w.DebugAddr+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDebugBody))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", path, resp.Status, body)
	}
	return body, nil
}

// Syncz reads and parses /debug/syncz.
func (w *Weftd) Syncz(ctx context.Context) (Syncz, error) {
	body, err := w.get(ctx, "/debug/syncz")
	if err != nil {
		return Syncz{}, err
	}
	return ParseSyncz(body)
}

// Metrics returns the Prometheus text from /metrics.
func (w *Weftd) Metrics(ctx context.Context) (string, error) {
	body, err := w.get(ctx, "/metrics")
	return string(body), err
}

// ParseSyncz decodes a /debug/syncz body.
func ParseSyncz(body []byte) (Syncz, error) {
	s := Syncz{Raw: body}
	if err := json.Unmarshal(body, &s.Proxies); err != nil {
		return s, fmt.Errorf("syncz: %w: %.300s", err, body)
	}
	return s, nil
}

// ProxyIDs returns the connected proxies' node ids.
func (s Syncz) ProxyIDs() []string {
	ids := make([]string, 0, len(s.Proxies))
	for _, p := range s.Proxies {
		ids = append(ids, p.ID)
	}
	return ids
}

// NACKCount is the total number of NACKs all connected proxies have sent.
func (s Syncz) NACKCount() int {
	n := 0
	for _, p := range s.Proxies {
		n += p.Nacks
	}
	return n
}

// NACKs describes each proxy that has NACKed, with its last NACK, for test failure messages.
func (s Syncz) NACKs() []string {
	var out []string
	for _, p := range s.Proxies {
		if p.Nacks == 0 && p.LastNack == nil {
			continue
		}
		msg := fmt.Sprintf("%s: %d NACKs", p.ID, p.Nacks)
		if l := p.LastNack; l != nil {
			msg += fmt.Sprintf(", last %s version %q: %s", l.Type, l.Version, l.Error)
		}
		out = append(out, msg)
	}
	return out
}

// Unsynced lists "proxy type sent=X acked=Y" for every type not yet acked or currently NACKed.
func (s Syncz) Unsynced() []string {
	var out []string
	for _, p := range s.Proxies {
		for _, t := range slices.Sorted(maps.Keys(p.Types)) {
			ts := p.Types[t]
			if ts.Sent != ts.Acked || ts.Nacked {
				out = append(out, fmt.Sprintf("%s %s sent=%q acked=%q nacked=%v", p.ID, t, ts.Sent, ts.Acked, ts.Nacked))
			}
		}
	}
	return out
}

// SynczOptions bound WaitSyncz.
type SynczOptions struct {
	Timeout  time.Duration // default 30s (when ctx has no deadline)
	Interval time.Duration // default 200ms
}

// WaitSyncz polls /debug/syncz until pred holds, returning the last answer.
func (w *Weftd) WaitSyncz(ctx context.Context, pred func(Syncz) bool, opts SynczOptions) (Syncz, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, orDefault(opts.Timeout, 30*time.Second))
		defer cancel()
	}
	tick := time.NewTicker(orDefault(opts.Interval, 200*time.Millisecond))
	defer tick.Stop()
	var last Syncz
	for {
		s, err := w.Syncz(ctx)
		if err == nil {
			last = s
			if pred(s) {
				return s, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait for syncz: %w (last: %.500s)", ctx.Err(), last.Raw)
		case <-tick.C:
		}
	}
}

// HasProxies holds when at least n proxies are connected and, if ids are given, all of them are.
func HasProxies(n int, ids ...string) func(Syncz) bool {
	return func(s Syncz) bool {
		got := s.ProxyIDs()
		for _, id := range ids {
			if !slices.Contains(got, id) {
				return false
			}
		}
		return len(got) >= n
	}
}

// InSync holds when every proxy has acked everything sent and nothing is NACKed now.
func InSync(s Syncz) bool { return len(s.Unsynced()) == 0 }

// CountNACKs returns the total NACKs of connected proxies, read from /debug/syncz.
func (w *Weftd) CountNACKs(ctx context.Context) (int, error) {
	s, err := w.Syncz(ctx)
	if err != nil {
		return 0, err
	}
	return s.NACKCount(), nil
}
