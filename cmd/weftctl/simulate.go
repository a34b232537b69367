package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/pilot/analysis"
	"github.com/weftmesh/weft/pilot/simulate"
	"github.com/weftmesh/weft/pilot/simulate/offline"
)

func init() { register(newSimulateCommand) }

// simulateOptions are simulate's flags: where the proxy's config comes
// from, the request, and the output.
type simulateOptions struct {
	debug      debugOptions
	pod        string
	configDump string
	files      []string
	proxy      string
	labels     []string
	proxyless  bool
	locality   string
	spec       simulate.RequestSpec
	sample     int
	nodeID     string // the proxy simulated, once known
}

func newSimulateCommand() *cobra.Command {
	o := &simulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate [METHOD] URL [flags]",
		Short: "Show which listener, route, cluster, TLS and endpoints a request takes through a proxy's config",
		Long: "simulate follows one request through a proxy's xDS configuration, stage by stage, as Envoy would\n" +
			"(or a proxyless gRPC client, with --proxyless). The configuration comes from a live proxy (--pod, through\n" +
			"weftd's debug endpoint), a config dump (--config-dump: Envoy's /config_dump or weft's /debug/config_dump),\n" +
			"or Istio YAML translated in process (-f DIR --proxy NODE_ID). Examples:\n" +
			"  weftctl simulate -f samples/config --proxy sidecar~10.0.0.9~app.default~default.svc.cluster.local GET http://reviews.default:9080/r -H 'end-user: jason'\n" +
			"  weftctl simulate --pod default/app --inbound --port 9080 --from spiffe://cluster.local/ns/a/sa/b\n" +
			"  weftctl simulate --config-dump dump.json --tcp 10.0.0.5:3306",
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runSimulate(cmd, o, args) },
	}
	o.addFlags(cmd)
	return cmd
}

func (o *simulateOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	o.debug.addFlags(cmd, "text or json")
	f.Lookup("output").DefValue, o.debug.output = "text", "text"
	f.StringVar(&o.pod, "pod", "", "a live proxy: NAMESPACE/POD (or its node id), through weftd's debug endpoint")
	f.StringVar(&o.configDump, "config-dump", "", "a config dump file: Envoy's /config_dump or weft's /debug/config_dump JSON")
	f.StringArrayVarP(&o.files, "filename", "f", nil, "Istio and Kubernetes YAML (file, directory or -) to translate in process; needs --proxy")
	f.StringVar(&o.proxy, "proxy", "", "with -f: the node id of the proxy, e.g. sidecar~IP~POD.NS~NS.svc.cluster.local")
	f.StringArrayVar(&o.labels, "labels", nil, "with -f: the workload's labels, k=v (repeatable), when no Pod in the input names the proxy")
	f.StringVar(&o.locality, "locality", "", "with -f: the proxy's node locality, region/zone/subzone, when no Pod in the input places it")
	f.BoolVar(&o.proxyless, "proxyless", false, "simulate a proxyless gRPC client: the URL's host:port names the listener it asks for")
	f.StringArrayVarP(&o.spec.Headers, "header", "H", nil, "request header 'name: value' (repeatable)")
	f.BoolVar(&o.spec.Inbound, "inbound", false, "the request comes from a peer to the workload (needs --port)")
	f.Uint32Var(&o.spec.Port, "port", 0, "with --inbound: the workload port called")
	f.StringVar(&o.spec.From, "from", "", "the caller's SPIFFE ID: the connection is Istio mTLS")
	f.StringSliceVar(&o.spec.ALPN, "alpn", nil, "with --from: the ALPN the client offers (default: an Istio sidecar's for the protocol)")
	f.StringVar(&o.spec.TCP, "tcp", "", "a raw TCP connection to IP:PORT")
	f.StringVar(&o.spec.IP, "ip", "", "the destination IP, when the URL's host is a name")
	f.StringVar(&o.spec.Protocol, "protocol", "", "http1 (default), h2 or grpc")
	f.StringVar(&o.spec.SourceIP, "source-ip", "", "the client's IP")
	f.IntVar(&o.sample, "sample", 0, "also show how N requests split over the destinations (deterministic)")
}

func runSimulate(cmd *cobra.Command, o *simulateOptions, args []string) error {
	req, err := o.request(args)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	cfg, addrs, err := o.config(cmd, req)
	if err != nil {
		return err
	}
	if note := req.ResolveDestination(simulate.NodeIP(o.nodeID), addrs); note != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "note:", note)
	}
	res, err := simulate.Simulate(cfg, req)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	return o.write(cmd, res)
}

// request reads [METHOD] URL and the request flags.
func (o *simulateOptions) request(args []string) (simulate.Request, error) {
	switch len(args) {
	case 1:
		o.spec.URL = args[0]
	case 2:
		o.spec.Method, o.spec.URL = args[0], args[1]
	}
	if len(args) == 0 && o.spec.TCP == "" && !o.spec.Inbound {
		return simulate.Request{}, errors.New("no request: pass [METHOD] URL, --tcp IP:PORT or --inbound --port N")
	}
	o.spec.Target = o.proxyless
	return o.spec.Request()
}

// config loads the proxy's configuration from the one source given, with
// the service addresses it knows (offline only: dumps carry none).
func (o *simulateOptions) config(cmd *cobra.Command, req simulate.Request) (*simulate.Config, map[string]string, error) {
	switch {
	case o.sources() != 1:
		return nil, nil, &exitError{code: 2, err: errors.New("pass exactly one of --pod, --config-dump or -f with --proxy")}
	case o.configDump != "":
		cfg, err := o.fromDumpFile()
		return cfg, nil, err
	case o.pod != "":
		cfg, err := o.fromPod(cmd)
		return cfg, nil, err
	}
	return o.fromYAML(cmd, req)
}

func (o *simulateOptions) sources() int {
	n := 0
	for _, set := range []bool{o.pod != "", o.configDump != "", len(o.files) > 0} {
		if set {
			n++
		}
	}
	return n
}

func (o *simulateOptions) fromDumpFile() (*simulate.Config, error) {
	data, err := os.ReadFile(o.configDump)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	cfg, err := simulate.FromConfigDump(data)
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("%s: %w", o.configDump, err)}
	}
	return cfg, nil
}

// fromPod asks weftd for what it serves the pod's proxy.
func (o *simulateOptions) fromPod(cmd *cobra.Command) (*simulate.Config, error) {
	arg := o.pod
	if ns, name, ok := strings.Cut(arg, "/"); ok {
		arg = name + "." + ns
	}
	id, err := o.debug.resolveProxy(cmd.Context(), arg)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	o.nodeID = id
	var raw json.RawMessage
	if err := o.debug.getJSON(cmd.Context(), "/debug/config_dump", url.Values{"proxy": {id}}, &raw); err != nil {
		return nil, err
	}
	cfg, err := simulate.FromConfigDump(raw)
	if err != nil {
		return nil, fmt.Errorf("config of %s: %w", id, err)
	}
	return cfg, nil
}

// fromYAML translates the files in process, as weftd would for the proxy.
func (o *simulateOptions) fromYAML(cmd *cobra.Command, req simulate.Request) (*simulate.Config, map[string]string, error) {
	if o.proxy == "" {
		return nil, nil, &exitError{code: 2, err: errors.New("-f needs --proxy NODE_ID")}
	}
	o.nodeID = o.proxy
	ins, err := analysis.ReadInputs(o.files, cmd.InOrStdin())
	if err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	labels, err := parseLabels(o.labels)
	if err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	opts := offline.Options{NodeID: o.proxy, Labels: labels, Proxyless: o.proxyless, Locality: o.locality}
	if req.Target != "" {
		opts.Targets = []string{req.Target}
	}
	inputs := toOffline(ins)
	cfg, errs, err := offline.Build(inputs, opts)
	for _, e := range errs {
		fmt.Fprintf(cmd.ErrOrStderr(), "left out (as weftd would): %s\n", e)
	}
	if err != nil {
		return nil, nil, &exitError{code: 2, err: err}
	}
	return cfg, offline.Addresses(inputs), nil
}

func toOffline(ins []analysis.Input) []offline.Input {
	out := make([]offline.Input, len(ins))
	for i, in := range ins {
		out[i] = offline.Input{Name: in.Name, Data: in.Data}
	}
	return out
}

func parseLabels(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--labels %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// write prints the trace (text) or the result (json), with the sample.
func (o *simulateOptions) write(cmd *cobra.Command, res *simulate.Result) error {
	var shares []simulate.Share
	if o.sample > 0 {
		shares = simulate.Sample(res, o.sample)
	}
	switch o.debug.output {
	case "json":
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*simulate.Result
			Sample []simulate.Share `json:"sample,omitempty"`
		}{res, shares})
	case "text", "table":
		fmt.Fprint(cmd.OutOrStdout(), res.Text())
		for _, s := range shares {
			fmt.Fprintf(cmd.OutOrStdout(), "%-13s %d of %d requests to %s\n", "sample", s.Count, o.sample, s.Cluster)
		}
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("unknown output format %q (want text or json)", o.debug.output)}
}
