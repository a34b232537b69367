package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// writeTable prints one type's resources as a table; the columns are what
// one usually looks for first (the full resource is in -o json).
func writeTable(w io.Writer, typeURL string, items []map[string]any) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch typeURL {
	case xdsTypes[0].url:
		fmt.Fprintln(tw, "CLUSTER\tTYPE\tLB POLICY\tTLS")
		for _, c := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", str(c, "name"), orDefault(str(c, "type"), "EDS"), orDefault(str(c, "lbPolicy"), "ROUND_ROBIN"), clusterTLS(c))
		}
	case xdsTypes[1].url:
		fmt.Fprintln(tw, "CLUSTER\tENDPOINT\tLOCALITY WEIGHT\tHEALTH")
		for _, cla := range items {
			writeEndpoints(tw, cla)
		}
	case xdsTypes[2].url:
		fmt.Fprintln(tw, "LISTENER\tADDRESS\tKIND")
		for _, l := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", str(l, "name"), socketAddress(get(l, "address")), listenerKind(l))
		}
	case xdsTypes[3].url:
		fmt.Fprintln(tw, "ROUTE CONFIG\tVIRTUAL HOST\tDOMAINS\tMATCH\tDESTINATION")
		for _, rc := range items {
			writeRoutes(tw, rc)
		}
	}
	return tw.Flush()
}

func writeEndpoints(tw io.Writer, cla map[string]any) {
	for _, loc := range list(cla, "endpoints") {
		for _, ep := range list(loc, "lbEndpoints") {
			addr := socketAddress(get(get(ep, "endpoint"), "address"))
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", str(cla, "clusterName"), addr, orDefault(fmt.Sprint(loc["loadBalancingWeight"]), "-"), orDefault(str(ep, "healthStatus"), "UNKNOWN"))
		}
	}
}

func writeRoutes(tw io.Writer, rc map[string]any) {
	for _, vh := range list(rc, "virtualHosts") {
		domains := strings.Join(strs(vh, "domains"), ",")
		for _, r := range list(vh, "routes") {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", str(rc, "name"), str(vh, "name"), domains, routeMatch(get(r, "match")), routeAction(r))
		}
	}
}

func routeMatch(m map[string]any) string {
	for _, k := range []string{"prefix", "path", "pathSeparatedPrefix"} {
		if v := str(m, k); v != "" || m[k] != nil {
			return k + " " + v
		}
	}
	if re := str(get(m, "safeRegex"), "regex"); re != "" {
		return "regex " + re
	}
	return "*"
}

func routeAction(r map[string]any) string {
	a := get(r, "route")
	if c := str(a, "cluster"); c != "" {
		return c
	}
	// Each cluster's share is its weight over the sum of the weights (as
	// Envoy and grpc-go divide them), which need not be 100.
	wcs := list(get(a, "weightedClusters"), "clusters")
	sum := 0.0
	for _, wc := range wcs {
		w, _ := wc["weight"].(float64)
		sum += w
	}
	var parts []string
	for _, wc := range wcs {
		w, _ := wc["weight"].(float64)
		share := 0.0
		if sum > 0 {
			share = 100 * w / sum
		}
		parts = append(parts, fmt.Sprintf("%s %.4g%%", str(wc, "name"), share))
	}
	if len(parts) > 0 {
		return strings.Join(parts, ", ")
	}
	for _, k := range []string{"redirect", "directResponse"} {
		if r[k] != nil {
			return k
		}
	}
	return "-"
}

func listenerKind(l map[string]any) string {
	if l["apiListener"] != nil {
		return "api (proxyless)"
	}
	return fmt.Sprintf("%d filter chain(s)", len(list(l, "filterChains")))
}

func clusterTLS(c map[string]any) string {
	if c["transportSocket"] != nil {
		return "tls"
	}
	if len(list(c, "transportSocketMatches")) > 0 {
		return "auto"
	}
	return "-"
}

func socketAddress(a map[string]any) string {
	sa := get(a, "socketAddress")
	if sa == nil {
		return "-"
	}
	return fmt.Sprintf("%s:%v", str(sa, "address"), sa["portValue"])
}

// Helpers over protojson's generic maps: missing keys read as zero values.
func get(m map[string]any, k string) map[string]any {
	v, _ := m[k].(map[string]any)
	return v
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

func list(m map[string]any, k string) []map[string]any {
	raw, _ := m[k].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, v := range raw {
		if mv, ok := v.(map[string]any); ok {
			out = append(out, mv)
		}
	}
	return out
}

func strs(m map[string]any, k string) []string {
	raw, _ := m[k].([]any)
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		out = append(out, fmt.Sprint(v))
	}
	sort.Strings(out)
	return out
}

func orDefault(s, def string) string {
	if s == "" || s == "<nil>" {
		return def
	}
	return s
}
