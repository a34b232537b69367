package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func init() { register(newProxyStatusCommand) }

// xdsTypes are the columns of proxy-status, in the order proxies get them.
var xdsTypes = []struct{ short, url string }{
	{"CDS", "type.googleapis.com/envoy.config.cluster.v3.Cluster"},
	{"EDS", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"},
	{"LDS", "type.googleapis.com/envoy.config.listener.v3.Listener"},
	{"RDS", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"},
}

func newProxyStatusCommand() *cobra.Command {
	o := &debugOptions{}
	cmd := &cobra.Command{
		Use:   "proxy-status",
		Short: "Show every proxy connected to weftd and whether each xDS type is SYNCED, STALE or NACKED",
		Long: "proxy-status reads weftd's /debug/syncz. Per type: SYNCED (the proxy acknowledged the version sent),\n" +
			"STALE (a newer version is sent but not yet acknowledged), NACKED (the proxy rejected the last version;\n" +
			"it keeps its previous config), NOT SENT. The last NACK's error is shown under the proxy.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			proxies, err := o.syncz(cmd.Context())
			if err != nil {
				return err
			}
			if o.output == "json" {
				return writeIndentedJSON(cmd.OutOrStdout(), proxies)
			}
			if o.output != "table" {
				return &exitError{code: 2, err: fmt.Errorf("unknown output format %q (want table or json)", o.output)}
			}
			return writeProxyStatus(cmd.OutOrStdout(), proxies)
		},
	}
	o.addFlags(cmd, "table or json")
	return cmd
}

// syncState classifies one type of one proxy.
func syncState(ts typeStatus, ok bool) string {
	switch {
	case !ok || ts.Sent == "":
		return "NOT SENT"
	case ts.Nacked:
		return "NACKED"
	case ts.Acked != ts.Sent:
		return "STALE"
	}
	return "SYNCED"
}

func writeProxyStatus(w io.Writer, proxies []proxyStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := []string{"NAME", "KIND", "NAMESPACE"}
	for _, t := range xdsTypes {
		head = append(head, t.short)
	}
	fmt.Fprintln(tw, strings.Join(append(head, "NACKS"), "\t"))
	for _, p := range proxies {
		row := []string{p.ID, p.Kind, p.Namespace}
		for _, t := range xdsTypes {
			ts, ok := p.Types[t.url]
			row = append(row, syncState(ts, ok))
		}
		fmt.Fprintln(tw, strings.Join(append(row, fmt.Sprint(p.Nacks)), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeLastNacks(w, proxies)
}

// writeLastNacks lists each proxy's last rejection below the table, where
// long error texts do not stretch the columns.
func writeLastNacks(w io.Writer, proxies []proxyStatus) error {
	for _, p := range proxies {
		if n := p.LastNack; n != nil {
			_, err := fmt.Fprintf(w, "\n%s last NACK: %s version %s at %s:\n  %s\n",
				p.ID, shortType(n.Type), n.Version, n.Time.UTC().Format(time.RFC3339), oneLine(n.Error))
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func shortType(url string) string {
	for _, t := range xdsTypes {
		if t.url == url {
			return t.short
		}
	}
	return url
}

// oneLine keeps a multi-line proxy error on the table's row.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
