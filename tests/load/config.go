package load

import (
	"fmt"
	"os"
	"path/filepath"

	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/pipeline"
)

// Mesh is a synthetic mesh written as one YAML file per service.
type Mesh struct {
	Dir  string
	Opts pipeline.SyntheticOptions
}

// WriteMesh writes pipeline.Synthetic(o) into dir, one file per service, so a
// later change to one service rewrites one small file.
func WriteMesh(dir string, o pipeline.SyntheticOptions) (*Mesh, error) {
	m := &Mesh{Dir: dir, Opts: o}
	return m, m.write(pipeline.Synthetic(o), nil)
}

// write writes the files of the services in only (all when only is nil).
func (m *Mesh) write(snap *config.Snapshot, only map[string]bool) error {
	docs := map[string][]byte{}
	for _, o := range snap.Objects() {
		svc := serviceOf(o.Resource)
		if only != nil && !only[svc] {
			continue
		}
		b, err := yaml.Marshal(o.Resource)
		if err != nil {
			return fmt.Errorf("marshal %s/%s: %w", o.Resource.GetNamespace(), o.Resource.GetName(), err)
		}
		docs[svc] = append(append(docs[svc], "---\n"...), b...)
	}
	for svc, b := range docs {
		if err := writeAtomic(filepath.Join(m.Dir, svc+".yaml"), b); err != nil {
			return err
		}
	}
	return nil
}

// serviceOf groups a synthetic resource with its service.
func serviceOf(r config.Resource) string {
	if s := r.GetLabels()[discoveryv1.LabelServiceName]; s != "" {
		return s
	}
	if s := r.GetLabels()["app"]; s != "" {
		return s
	}
	return "other"
}

// SetCanaryWeight rewrites service i's file with a new v2 weight (the
// VirtualService is the only resource whose content changes).
func (m *Mesh) SetCanaryWeight(i int, weightV2 int32) error {
	o := m.Opts
	o.CanaryWeightToV2 = weightV2
	return m.write(pipeline.Synthetic(o), map[string]bool{ServiceName(i): true})
}

// ServiceName is the name of synthetic service i.
func ServiceName(i int) string { return fmt.Sprintf("svc-%d", i) }

// Namespace is the namespace of synthetic service i.
func (m *Mesh) Namespace(i int) string { return fmt.Sprintf("ns-%d", i%max(m.Opts.Namespaces, 1)) }

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
// proxy sees the change) and one more service of its own.
func (m *Mesh) GRPCListeners(changed int) func(p int) []string {
	return func(p int) []string {
		own := p % max(m.Opts.Services, 1)
		if own == changed {
			return []string{m.ListenerName(changed)}
		}
		return []string{m.ListenerName(changed), m.ListenerName(own)}
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
