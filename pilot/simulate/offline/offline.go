// Package offline builds one proxy's configuration from Istio YAML the way
// weftd would serve it, in process and without a server, for
// `weftctl simulate -f DIR --proxy NODE_ID`.
package offline

import (
	"fmt"
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/simulate"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/validation"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

// Input is one file's content.
type Input struct {
	Name string
	Data []byte
}

// Options say which proxy to build configuration for.
type Options struct {
	NodeID string
	// Labels are the workload's labels when no Pod in the input names the
	// proxy (a Pod's labels win, as in weftd).
	Labels map[string]string
	// Proxyless builds a proxyless gRPC client's configuration; Targets are
	// the listeners it asks for (host:port).
	Proxyless bool
	Targets   []string
	// Locality is the node locality the proxy's bootstrap sends
	// ("region/zone/subzone"); a Pod in the input (its Node) wins, as in weftd.
	Locality string
	// Translate are the mesh config's settings (weftd --mesh-config).
	Translate translate.Options
}

// Build decodes the inputs as weftd's file mode does (a resource that does
// not validate is left out, and reported), translates them and generates
// the proxy's resources.
func Build(inputs []Input, o Options) (*simulate.Config, []*config.Error, error) {
	snap, errs := snapshot(inputs)
	p, err := proxy(o)
	if err != nil {
		return nil, errs, err
	}
	m := translate.TranslateWith(snap, "simulate", o.Translate)
	p = p.WithWorkload(m.Workloads)
	if !o.Proxyless {
		res, _ := envoy.Generate(m, p)
		return simulate.FromResources(res), errs, nil
	}
	res, _ := grpcgen.Generate(m, p, o.Targets)
	return simulate.FromResources(res), errs, nil
}

func snapshot(inputs []Input) (*config.Snapshot, []*config.Error) {
	b := config.NewBuilder()
	var errs []*config.Error
	for _, in := range inputs {
		objs, decodeErrs, _ := config.DecodeServing(in.Name, in.Data)
		errs = append(errs, decodeErrs...)
		for _, o := range objs {
			if e := b.Add(o); e != nil {
				errs = append(errs, e)
			}
		}
	}
	accepted, verrs := validation.AcceptSnapshot(nil, b.Finish())
	return accepted, append(errs, verrs...)
}

// proxy is the node a sidecar (or proxyless client) with this id and
// these labels would present.
func proxy(o Options) (*xds.Proxy, error) {
	labels := map[string]any{}
	keys := make([]string, 0, len(o.Labels))
	for k := range o.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		labels[k] = o.Labels[k]
	}
	md := map[string]any{contract.MetaLabels: labels}
	if o.Proxyless {
		md[contract.MetaGenerator] = contract.GeneratorGRPC
	}
	s, err := structpb.NewStruct(md)
	if err != nil {
		return nil, fmt.Errorf("proxy metadata: %w", err)
	}
	l := mesh.ParseLocality(o.Locality)
	p, err := xds.ParseNode(&corev3.Node{Id: o.NodeID, Metadata: s,
		Locality: &corev3.Locality{Region: l.Region, Zone: l.Zone, SubZone: l.Subzone}})
	if err != nil {
		return nil, fmt.Errorf("--proxy: %w", err)
	}
	return p, nil
}

// Addresses maps every service host name the inputs define (FQDN, and
// name.namespace / name.namespace.svc as cluster DNS answers them) to its
// cluster IP, for requests that name their destination.
func Addresses(inputs []Input) map[string]string {
	snap, _ := snapshot(inputs)
	out := map[string]string{}
	for _, svc := range snap.Services {
		ip := svc.Spec.ClusterIP
		if ip == "" || ip == "None" {
			continue
		}
		base := svc.Name + "." + svc.Namespace
		for _, h := range []string{base, base + ".svc", base + ".svc.cluster.local"} {
			out[h] = ip
		}
	}
	return out
}
