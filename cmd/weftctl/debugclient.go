package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/contract"
)

// debugOptions locate weftd's debug endpoint (its --debug-addr).
type debugOptions struct {
	addr    string
	timeout time.Duration
	output  string
}

func (o *debugOptions) addFlags(cmd *cobra.Command, formats string) {
	cmd.Flags().StringVar(&o.addr, "debug-addr", contract.LoopbackAddr(contract.PortDebug), "weftd's debug address (host:port or http(s) URL)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for weftd")
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "output format: "+formats)
}

// baseURL accepts host:port or a full URL.
func (o *debugOptions) baseURL() string {
	if strings.Contains(o.addr, "://") {
		return strings.TrimSuffix(o.addr, "/")
	}
	return "http://" + o.addr
}

// getJSON fetches path from weftd's debug server into v.
func (o *debugOptions) getJSON(ctx context.Context, path string, query url.Values, v any) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	u := o.baseURL() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("building request for %s: %w", u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("asking weftd at %s (is --debug-addr right?): %w", o.addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("reading %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding %s: %w", u, err)
	}
	return nil
}

// proxyStatus mirrors one entry of /debug/syncz.
type proxyStatus struct {
	ID        string                `json:"id"`
	Kind      string                `json:"kind"`
	Namespace string                `json:"namespace"`
	Streams   int                   `json:"streams"`
	Types     map[string]typeStatus `json:"types"`
	Nacks     int                   `json:"nacks"`
	LastNack  *nack                 `json:"lastNack,omitempty"`
}

type typeStatus struct {
	Sent   string `json:"sent"`
	Acked  string `json:"acked"`
	Nacked bool   `json:"nacked"`
}

type nack struct {
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Error   string    `json:"error"`
	Time    time.Time `json:"time"`
}

func (o *debugOptions) syncz(ctx context.Context) ([]proxyStatus, error) {
	var out []proxyStatus
	err := o.getJSON(ctx, "/debug/syncz", nil, &out)
	return out, err
}
