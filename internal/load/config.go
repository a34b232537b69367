package load

import (
	"fmt"
	"os"
	"path/filepath"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/pipeline"
)

// Mesh is a synthetic mesh written as one YAML file per service (and one
// for the namespaces' Sidecars when Opts.SidecarScope is set).
type Mesh struct {
	Dir  string
	Opts pipeline.SyntheticOptions

	weights map[int]int32 // services whose v2 weight was changed
	pods    map[int]int   // services whose pod count was changed
	added   int           // services added after the initial write
}

// WriteMesh writes pipeline.Synthetic(o) into dir, one file per service, so a
// later change to one service rewrites one small file.
func WriteMesh(dir string, o pipeline.SyntheticOptions) (*Mesh, error) {
	m := &Mesh{Dir: dir, Opts: o}
	return m, m.write(pipeline.Synthetic(o).Objects())
}

// write writes the given resources, one file per service: a file holds
// exactly the resources of its service.
func (m *Mesh) write(objs []config.Object) error {
	docs := map[string][]byte{}
	var order []string
	for _, o := range objs {
		svc := serviceOf(o.Resource)
		b, err := yaml.Marshal(o.Resource)
		if err != nil {
			return fmt.Errorf("marshal %s/%s: %w", o.Resource.GetNamespace(), o.Resource.GetName(), err)
		}
		if _, ok := docs[svc]; !ok {
			order = append(order, svc)
		}
		docs[svc] = append(append(docs[svc], "---\n"...), b...)
	}
	for _, svc := range order {
		if err := writeAtomic(filepath.Join(m.Dir, FileName(svc)), docs[svc]); err != nil {
			return err
		}
	}
	return nil
}

// FileName is the file holding a service's resources ("sidecars" for the
// Sidecars of SidecarScope).
func FileName(group string) string { return group + ".yaml" }

// serviceOf groups a synthetic resource with its service.
func serviceOf(r config.Resource) string {
	if _, ok := r.(*networkingv1.Sidecar); ok {
		return "sidecars"
	}
	if s := r.GetLabels()[discoveryv1.LabelServiceName]; s != "" {
		return s
	}
	if s := r.GetLabels()["app"]; s != "" {
		return s
	}
	return "other"
}

// rewrite writes service i's file from its current weight and pod count.
func (m *Mesh) rewrite(i int) error {
	weight, ok := m.weights[i]
	if !ok {
		weight = m.Opts.CanaryWeightToV2
	}
	pods, ok := m.pods[i]
	if !ok {
		pods = max(m.Opts.PodsPerService, 2)
	}
	var objs []config.Object
	for _, r := range pipeline.SyntheticService(m.Opts, i, m.Namespace(i), pods, weight) {
		objs = append(objs, config.Object{Resource: r})
	}
	return m.write(objs)
}

// SetCanaryWeight rewrites service i's file with a new v2 weight (the
// VirtualService is the only resource whose content changes).
func (m *Mesh) SetCanaryWeight(i int, weightV2 int32) error {
	if m.weights == nil {
		m.weights = map[int]int32{}
	}
	m.weights[i] = weightV2
	return m.rewrite(i)
}

// AddEndpoint rewrites service i's file with one more pod: one more Pod and
// one more endpoint (a new IP) in its EndpointSlice; nothing else changes.
func (m *Mesh) AddEndpoint(i int) error {
	if m.pods == nil {
		m.pods = map[int]int{}
	}
	n, ok := m.pods[i]
	if !ok {
		n = max(m.Opts.PodsPerService, 2)
	}
	if n+1 > 16 {
		return fmt.Errorf("load: %s already has %d pods (pod IPs allow 16)", ServiceName(i), n)
	}
	m.pods[i] = n + 1
	return m.rewrite(i)
}

// NextService is the index AddService will use: svc-N in the shared
// namespace ns-0, so every scoped proxy sees it.
func (m *Mesh) NextService() int { return m.Opts.Services + m.added }

// AddService writes a brand-new service (Service, EndpointSlice, pods,
// DestinationRule, VirtualService) into its own file and returns its index.
func (m *Mesh) AddService() (int, error) {
	i := m.NextService()
	m.added++
	return i, m.rewrite(i)
}

// ServiceName is the name of synthetic service i.
func ServiceName(i int) string { return fmt.Sprintf("svc-%d", i) }

// Namespace is the namespace of synthetic service i; services added after
// the initial mesh live in the shared namespace.
func (m *Mesh) Namespace(i int) string {
	if i >= m.Opts.Services {
		return pipeline.SharedNamespace
	}
	return fmt.Sprintf("ns-%d", i%max(m.Opts.Namespaces, 1))
}

// Namespaces lists the mesh's namespaces.
func (m *Mesh) Namespaces() []string {
	var out []string
	for i := range max(m.Opts.Namespaces, 1) {
		out = append(out, fmt.Sprintf("ns-%d", i))
	}
	return out
}

// ListenerName is the proxyless LDS name of service i.
func (m *Mesh) ListenerName(i int) string {
	return fmt.Sprintf("%s.%s.svc.cluster.local:9080", ServiceName(i), m.Namespace(i))
}

// GRPCListeners has proxyless proxy p watch the changed service (so every
// proxy sees the change) and one more service of its own, plus extra names
// (e.g. the listener of a service that does not exist yet: weftd omits it
// until it exists, as for a grpc-go client dialling a future target).
func (m *Mesh) GRPCListeners(changed int, extra ...string) func(p int) []string {
	return func(p int) []string {
		own := p % max(m.Opts.Services, 1)
		out := []string{m.ListenerName(changed)}
		if own != changed {
			out = append(out, m.ListenerName(own))
		}
		return append(out, extra...)
	}
}

// writeAtomic writes via rename so weftd's watcher never sees half a file.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
