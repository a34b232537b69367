package load

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one measured change or restart.
type Report struct {
	Scenario string `json:"scenario,omitempty"` // preset name (S1, S2) or "custom"
	// Change is what was measured: weight, endpoint, service, or restart.
	Change string `json:"change,omitempty"`
	// Measure is "convergence" (a config change reaching every proxy) or
	// "reconnect" (every proxy back on a restarted weftd with every type).
	Measure     string        `json:"measure"`
	Kind        string        `json:"kind,omitempty"`
	Services    int           `json:"services,omitempty"`
	Scoped      bool          `json:"sidecar_scope"` // the mesh has one Sidecar per namespace
	Proxies     int           `json:"proxies"`
	Converged   int           `json:"converged"` // proxies that ACKed a new version after the change (or reconnected)
	P50         time.Duration `json:"p50_ns"`
	P90         time.Duration `json:"p90_ns"`
	P99         time.Duration `json:"p99_ns"`
	Max         time.Duration `json:"max_ns"`
	InitialSync time.Duration `json:"initial_sync_ns"` // connect → every proxy ACKed every type, plus the quiet wait
	BytesRecv   int64         `json:"bytes_received"`
	Responses   int           `json:"responses"`
	// Sync is the initial sync proxy by proxy.
	Sync SyncStats `json:"sync"`
	// TLS: every proxy connected over mutual TLS to weftd's secure port.
	TLS bool `json:"tls"`
	// CertIssue is the time taken to issue every proxy's certificate, before
	// the first connect and so outside every measured time.
	CertIssue time.Duration `json:"cert_issue_ns,omitempty"`
	// Preconnect is how long opening every connection took when they were
	// opened before any stream (Options.Preconnect); not in the sync.
	Preconnect time.Duration `json:"preconnect_ns,omitempty"`
	// Weftd is weftd's resource use at the end of the run; after a restart,
	// that of the new process only (its start plus the reconnections).
	Weftd ProcStats `json:"weftd"`
	// ChangeCPUSeconds is weftd's CPU from just before the change until
	// every proxy converged (0 without a change).
	ChangeCPUSeconds float64 `json:"change_cpu_seconds,omitempty"`
	// WeftdRestart is SIGTERM → the new weftd answering (restart only).
	WeftdRestart time.Duration `json:"weftd_restart_ns,omitempty"`
	Reconnects   int           `json:"reconnects,omitempty"` // streams opened beyond the first, fleet-wide
}

// SyncStats is the initial sync proxy by proxy, up to the last response of
// the initial sync (InitialSync also counts the quiet wait that proves it).
type SyncStats struct {
	// FromStart: the fleet began connecting → the proxy's last response.
	// Its max is the whole fleet's sync; it includes waiting for a turn.
	FromStart Quantiles `json:"from_start"`
	// PerProxy: the proxy began connecting (TCP, TLS, ADS) → its last
	// response, so the queue of proxies before it does not count.
	PerProxy Quantiles `json:"per_proxy"`
}

// Quantiles of a set of durations.
type Quantiles struct {
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

func quantilesOf(d []time.Duration) Quantiles {
	slices.Sort(d)
	q := Quantiles{P50: quantile(d, 0.50), P99: quantile(d, 0.99)}
	if len(d) > 0 {
		q.Max = d[len(d)-1]
	}
	return q
}

// InitialSync summarises the initial sync; call it once WaitSynced has
// returned and before any change, so each proxy's last response is its sync.
func (f *Fleet) InitialSync() SyncStats {
	var fromStart, perProxy []time.Duration
	for _, s := range f.States() {
		last := lastResponse(s)
		if last.IsZero() {
			continue
		}
		fromStart = append(fromStart, last.Sub(f.connectAt))
		perProxy = append(perProxy, last.Sub(s.Started))
	}
	return SyncStats{FromStart: quantilesOf(fromStart), PerProxy: quantilesOf(perProxy)}
}

// lastResponse is when the proxy's latest response arrived, of any type.
func lastResponse(s ProxyState) time.Time {
	var last time.Time
	for _, ts := range s.Types {
		if ts.At.After(last) {
			last = ts.At
		}
	}
	return last
}

// ProcStats is weftd's resource use.
type ProcStats struct {
	RSSBytes int64 `json:"rss_bytes"`
	// PeakRSSBytes is the high-water mark (VmHWM); /proc only.
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// FileRSSBytes is the part of RSS that maps files (RssFile: weftd's own
	// binary), the same at any fleet size; /proc only.
	FileRSSBytes int64   `json:"file_rss_bytes,omitempty"`
	CPUSeconds   float64 `json:"cpu_seconds"`
	Source       string  `json:"source"` // "/proc" or "/metrics"
}

// Convergence summarises the fleet's ACK times after the last MarkChange.
func (f *Fleet) Convergence() Report {
	return f.summarise("convergence", f.changeAt(), convergedAt)
}

// Reconnection summarises, for a weftd restart at t, how long each proxy
// took to be back with every type ACKed on a new stream.
func (f *Fleet) Reconnection(t time.Time) Report {
	return f.summarise("reconnect", t, reconnectedAt)
}

func (f *Fleet) summarise(measure string, t time.Time, doneAt func(ProxyState, time.Time) time.Time) Report {
	var lat []time.Duration
	r := Report{Measure: measure, Proxies: len(f.proxies), TLS: f.tls}
	if f.tls {
		r.CertIssue = f.issuing
	}
	r.Preconnect = f.preconnecting
	for _, s := range f.States() {
		r.BytesRecv += s.Bytes
		r.Responses += s.Responses
		r.Reconnects += max(s.Streams-1, 0)
		if c := doneAt(s, t); !t.IsZero() && !c.IsZero() {
			lat = append(lat, c.Sub(t))
		}
	}
	slices.Sort(lat)
	r.Converged = len(lat)
	r.P50, r.P90, r.P99 = quantile(lat, 0.50), quantile(lat, 0.90), quantile(lat, 0.99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	return r
}

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// WriteTable prints the report for people.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	measure := r.Measure
	if measure == "" {
		measure = "convergence"
	}
	done := "converged"
	if measure == "reconnect" {
		done = "reconnected"
	}
	scope := "no"
	if r.Scoped {
		scope = "yes (Sidecar per namespace: ./*, ns-0/*)"
	}
	var rows [][2]string
	if r.Scenario != "" {
		rows = append(rows, [2]string{"scenario", r.Scenario})
	}
	if r.Change != "" {
		rows = append(rows, [2]string{"change", r.Change})
	}
	if r.Kind != "" {
		rows = append(rows, [2]string{"kind", r.Kind})
	}
	transport := "plaintext"
	if r.TLS {
		transport = fmt.Sprintf("mutual TLS (secure port); certificates issued in %s before connecting, not counted", ms(r.CertIssue))
	}
	rows = append(rows, [2]string{"connection", transport})
	if r.Preconnect > 0 {
		rows = append(rows, [2]string{"every connection opened first, in", ms(r.Preconnect) + " (not in the sync)"})
	}

	if r.Services > 0 {
		rows = append(rows, [2]string{"services", strconv.Itoa(r.Services)}, [2]string{"sidecar scope", scope})
	}
	rows = append(rows, [][2]string{
		{"proxies", strconv.Itoa(r.Proxies)},
		{done, strconv.Itoa(r.Converged)},
		{"initial sync", ms(r.InitialSync)},
	}...)
	if r.Sync.FromStart.Max > 0 {
		q3 := func(q Quantiles) string { return ms(q.P50) + " / " + ms(q.P99) + " / " + ms(q.Max) }
		rows = append(rows, [][2]string{
			{"sync from start p50/p99/max", q3(r.Sync.FromStart)},
			{"sync per proxy p50/p99/max", q3(r.Sync.PerProxy)},
		}...)
	}
	if r.WeftdRestart > 0 {
		rows = append(rows, [2]string{"weftd restart (SIGTERM → ready)", ms(r.WeftdRestart)})
	}
	if r.Reconnects > 0 {
		rows = append(rows, [2]string{"reconnects", strconv.Itoa(r.Reconnects)})
	}
	rows = append(rows, [][2]string{
		{measure + " p50", ms(r.P50)},
		{measure + " p90", ms(r.P90)},
		{measure + " p99", ms(r.P99)},
		{measure + " max", ms(r.Max)},
		{"bytes received", fmt.Sprintf("%d (%.1f MiB)", r.BytesRecv, float64(r.BytesRecv)/(1<<20))},
		{"responses", strconv.Itoa(r.Responses)},
		{"weftd RSS", fmt.Sprintf("%.1f MiB (%s)", float64(r.Weftd.RSSBytes)/(1<<20), r.Weftd.Source)},
		{"weftd peak RSS", fmt.Sprintf("%.1f MiB", float64(r.Weftd.PeakRSSBytes)/(1<<20))},
		{"weftd RSS mapping files", fmt.Sprintf("%.1f MiB (its binary; in both figures above)", float64(r.Weftd.FileRSSBytes)/(1<<20))},
		{"weftd CPU", fmt.Sprintf("%.2f s", r.Weftd.CPUSeconds)},
		{"weftd CPU for the change", fmt.Sprintf("%.2f s", r.ChangeCPUSeconds)},
	}...)
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// WriteJSON prints the report for machines.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ProcStatsOf reads a local process's RSS and CPU time from /proc.
func ProcStatsOf(pid int) (ProcStats, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStats{}, fmt.Errorf("weftd stats: %w", err)
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields overall, in clock ticks (100 Hz on Linux).
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return ProcStats{}, fmt.Errorf("weftd stats: short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	ps := ProcStats{CPUSeconds: (ut + st) / 100, Source: "/proc"}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcStats{}, fmt.Errorf("weftd stats: %w", err)
	}
	fields := map[string]*int64{"VmRSS:": &ps.RSSBytes, "VmHWM:": &ps.PeakRSSBytes, "RssFile:": &ps.FileRSSBytes}
	for line := range strings.Lines(string(status)) {
		for prefix, dst := range fields {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				*dst = kibField(rest)
			}
		}
	}
	return ps, nil
}

// kibField reads a /proc/PID/status size ("  12345 kB") in bytes.
func kibField(rest string) int64 {
	kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
	return kb << 10
}

// Metrics fetches weftd's /metrics and returns the unlabelled-sum of each
// metric family (labels are summed away), enough for counters and gauges.
func Metrics(ctx context.Context, debugAddr string) (map[string]float64, error) {
	if err := checkLoopback(debugAddr); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+debugAddr+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	return parseMetrics(io.LimitReader(resp.Body, 32<<20))
}

func parseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name, rest = line[:i], line[strings.LastIndexByte(line, '}')+1:]
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return out, nil
}

// WeftdStats prefers /proc (when pid > 0) and falls back to /metrics.
func WeftdStats(ctx context.Context, pid int, debugAddr string) (ProcStats, error) {
	if pid > 0 {
		return ProcStatsOf(pid)
	}
	m, err := Metrics(ctx, debugAddr)
	if err != nil {
		return ProcStats{}, err
	}
	return ProcStats{RSSBytes: int64(m["process_resident_memory_bytes"]),
		CPUSeconds: m["process_cpu_seconds_total"], Source: "/metrics"}, nil
}
