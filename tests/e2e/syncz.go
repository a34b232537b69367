package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Syncz is weftd's /debug/syncz answer: one JSON object per connected proxy.
// The helpers below read it by key-name conventions (…id, …nack…, …sent/…acked)
// so they keep working while weftd's exact field names settle.
type Syncz struct {
	Raw     json.RawMessage
	Proxies []map[string]any
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

// ParseSyncz accepts a JSON list of proxies, or an object holding one list.
func ParseSyncz(body []byte) (Syncz, error) {
	s := Syncz{Raw: body}
	if err := json.Unmarshal(body, &s.Proxies); err == nil {
		return s, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return s, fmt.Errorf("syncz: not JSON: %w: %.200s", err, body)
	}
	for _, k := range sortedKeys(obj) {
		if list, ok := obj[k].([]any); ok {
			for _, p := range list {
				if m, ok := p.(map[string]any); ok {
					s.Proxies = append(s.Proxies, m)
				}
			}
			return s, nil
		}
	}
	return s, fmt.Errorf("syncz: no list of proxies in %.200s", body)
}

// ProxyIDs returns each proxy's id (first of the keys proxy/proxyID/id/node/nodeID, any case).
func (s Syncz) ProxyIDs() []string {
	var ids []string
	for _, p := range s.Proxies {
		ids = append(ids, proxyID(p))
	}
	return ids
}

func proxyID(p map[string]any) string {
	for _, want := range []string{"proxy", "proxyid", "proxy_id", "id", "node", "nodeid", "node_id"} {
		for k, v := range p {
			if str, ok := v.(string); ok && strings.EqualFold(k, want) {
				return str
			}
		}
	}
	return "?"
}

// NACKs lists every non-empty value under a key containing "nack" (any case),
// as "proxy: path=value". With one NACK field per type this is one entry per NACK.
func (s Syncz) NACKs() []string {
	var out []string
	for _, p := range s.Proxies {
		id := proxyID(p)
		walk(p, "", false, func(path string, v any) {
			out = append(out, fmt.Sprintf("%s: %s=%v", id, path, v))
		})
	}
	return out
}

// walk visits non-empty leaves; inNack marks that an ancestor key names a NACK.
func walk(v any, path string, inNack bool, visit func(string, any)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			walk(x[k], path+"/"+k, inNack || strings.Contains(strings.ToLower(k), "nack"), visit)
		}
	case []any:
		for i, e := range x {
			walk(e, fmt.Sprintf("%s[%d]", path, i), inNack, visit)
		}
	default:
		if inNack && !isZero(x) {
			visit(path, x)
		}
	}
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case bool:
		return !x
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Unsynced lists "proxy: key" for every xSent/xAcked pair (any nesting, any
// case, "sent"→"acked" in the key name) whose values differ. Empty means in sync.
func (s Syncz) Unsynced() []string {
	var out []string
	for _, p := range s.Proxies {
		id := proxyID(p)
		eachObject(p, func(path string, obj map[string]any) {
			for _, k := range sortedKeys(obj) {
				lk := strings.ToLower(k)
				if !strings.Contains(lk, "sent") {
					continue
				}
				ackKey := findKey(obj, strings.Replace(lk, "sent", "acked", 1))
				if ackKey != "" && fmt.Sprint(obj[k]) != fmt.Sprint(obj[ackKey]) {
					out = append(out, fmt.Sprintf("%s: %s/%s=%v vs %s=%v", id, path, k, obj[k], ackKey, obj[ackKey]))
				}
			}
		})
	}
	return out
}

func eachObject(v any, fn func(string, map[string]any)) {
	var rec func(v any, path string)
	rec = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			fn(path, x)
			for _, k := range sortedKeys(x) {
				rec(x[k], path+"/"+k)
			}
		case []any:
			for i, e := range x {
				rec(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	rec(v, "")
}

func findKey(m map[string]any, lower string) string {
	for k := range m {
		if strings.ToLower(k) == lower {
			return k
		}
	}
	return ""
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

// InSync holds when every sent version has been acked and there is no NACK.
func InSync(s Syncz) bool { return len(s.Unsynced()) == 0 && len(s.NACKs()) == 0 }

// CountNACKs returns the number of NACK entries weftd reports right now.
func (w *Weftd) CountNACKs(ctx context.Context) (int, error) {
	s, err := w.Syncz(ctx)
	if err != nil {
		return 0, err
	}
	return len(s.NACKs()), nil
}
