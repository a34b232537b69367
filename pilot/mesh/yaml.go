package mesh

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// MarshalYAML renders the mesh in its stable YAML form: fields in the IR's
// declaration order, the IR's own order for slices, sorted keys for maps,
// durations as Go duration strings and enums by name. Pointers between IR
// objects become names (a cluster's service is its key's host), so the
// text reads like the config it came from and a diff shows what a feature
// changed.
func MarshalYAML(m *Mesh) ([]byte, error) {
	doc, err := toDoc(m)
	if err != nil {
		return nil, fmt.Errorf("mesh %q to YAML: %w", m.Version, err)
	}
	out, err := orderedYAML(doc)
	if err != nil {
		return nil, fmt.Errorf("mesh %q to YAML: %w", m.Version, err)
	}
	return out, nil
}

// orderedYAML converts v's JSON to YAML through a yaml.v3 node tree, which
// keeps JSON's key order (struct fields as declared, map keys sorted);
// sigs.k8s.io/yaml.Marshal would sort every key alphabetically instead.
func orderedYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var node yamlv3.Node
	if err := yamlv3.Unmarshal(j, &node); err != nil {
		return nil, err
	}
	clearStyle(&node)
	var buf bytes.Buffer
	enc := yamlv3.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// clearStyle drops the flow and quoting style parsed from JSON so the
// output is block YAML. Strings YAML 1.1 reads as booleans (on, yes...)
// stay quoted: yaml.v3 writes them plain, but sigs.k8s.io/yaml, which
// reads the form back, follows YAML 1.1.
func clearStyle(n *yamlv3.Node) {
	n.Style = 0
	if n.Kind == yamlv3.ScalarNode && n.Tag == "!!str" && yaml11Bool[strings.ToLower(n.Value)] {
		n.Style = yamlv3.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		clearStyle(c)
	}
}

var yaml11Bool = map[string]bool{"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true}

// UnmarshalYAML reads MarshalYAML's output back into an indexed mesh.
// Unknown fields are errors, so a hand-edited IR cannot silently lose a
// misspelt setting.
func UnmarshalYAML(data []byte) (*Mesh, error) {
	var doc meshDoc
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("mesh YAML: %w", err)
	}
	m, err := fromDoc(&doc)
	if err != nil {
		return nil, fmt.Errorf("mesh YAML: %w", err)
	}
	return m, nil
}

// All returns the indexed workloads sorted by namespace and name.
func (w Workloads) All() []*Workload {
	out := make([]*Workload, 0, len(w.byName))
	for _, wl := range w.byName {
		out = append(out, wl)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func toDoc(m *Mesh) (*meshDoc, error) {
	doc := &meshDoc{Version: m.Version, SameClustersAs: m.SameClustersAs, SameListenersAs: m.SameListenersAs, TrustDomain: m.TrustDomain}
	for _, s := range m.Services {
		sd, err := serviceToDoc(s)
		if err != nil {
			return nil, err
		}
		doc.Services = append(doc.Services, sd)
	}
	for _, c := range m.Clusters {
		cd, err := clusterToDoc(c)
		if err != nil {
			return nil, err
		}
		doc.Clusters = append(doc.Clusters, cd)
	}
	for _, vh := range m.VirtualHosts {
		doc.VirtualHosts = append(doc.VirtualHosts, virtualHostToDoc(vh))
	}
	views, err := viewsToDoc(m.Views)
	if err != nil {
		return nil, err
	}
	doc.Views = views
	if doc.Alternates, err = alternatesToDoc(m.Alternates); err != nil {
		return nil, err
	}
	for _, w := range m.Workloads.All() {
		doc.Workloads = append(doc.Workloads, workloadDoc(*w))
	}
	doc.PeerAuthentication = peerAuthnToDoc(m.PeerAuthn)
	doc.SidecarScopes = scopesToDoc(m.Scopes)
	doc.LocalityLB = m.LocalityLB
	for _, d := range m.Diagnostics {
		doc.Diagnostics = append(doc.Diagnostics, diagnosticDoc{Kind: d.Ref.Kind, Namespace: d.Ref.Namespace, Name: d.Ref.Name,
			Field: d.Field, Reason: d.Reason, Message: d.Message})
	}
	return doc, nil
}

func fromDoc(doc *meshDoc) (*Mesh, error) {
	m := &Mesh{Version: doc.Version, SameClustersAs: doc.SameClustersAs, SameListenersAs: doc.SameListenersAs, TrustDomain: doc.TrustDomain}
	byHost := map[string]*Service{}
	for i := range doc.Services {
		s, err := serviceFromDoc(&doc.Services[i])
		if err != nil {
			return nil, err
		}
		m.Services = append(m.Services, s)
		byHost[s.Hostname] = s
	}
	for i := range doc.Clusters {
		c, err := clusterFromDoc(&doc.Clusters[i], byHost)
		if err != nil {
			return nil, err
		}
		m.Clusters = append(m.Clusters, c)
	}
	for i := range doc.VirtualHosts {
		vh, err := virtualHostFromDoc(&doc.VirtualHosts[i], byHost)
		if err != nil {
			return nil, err
		}
		m.VirtualHosts = append(m.VirtualHosts, vh)
	}
	views, err := viewsFromDoc(doc.Views, byHost)
	if err != nil {
		return nil, err
	}
	m.Views = views
	if m.Alternates, err = alternatesFromDoc(doc.Alternates, byHost); err != nil {
		return nil, err
	}
	ws := make([]*Workload, 0, len(doc.Workloads))
	for _, w := range doc.Workloads {
		wl := Workload(w)
		ws = append(ws, &wl)
	}
	m.Workloads = NewWorkloads(ws)
	if err := checkPeerModes(doc.PeerAuthentication); err != nil {
		return nil, fmt.Errorf("peerAuthentication: %w", err)
	}
	m.PeerAuthn = peerAuthnFromDoc(doc.PeerAuthentication)
	scopes, err := scopesFromDoc(doc.SidecarScopes)
	if err != nil {
		return nil, err
	}
	m.Scopes = scopes
	m.LocalityLB = doc.LocalityLB
	for _, d := range doc.Diagnostics {
		m.Diagnostics = append(m.Diagnostics, Diagnostic{Ref: Ref{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name},
			Field: d.Field, Reason: d.Reason, Message: d.Message})
	}
	m.Index()
	return m, nil
}
