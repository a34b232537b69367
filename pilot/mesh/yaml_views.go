package mesh

import (
	"fmt"
	"sort"
)

// viewDoc is a View: clusters and virtual hosts name services of the mesh,
// or the View's own services, which replace the mesh's of their host.
type viewDoc struct {
	Namespace    string           `json:"namespace"`
	Services     []serviceDoc     `json:"services,omitempty"`
	Clusters     []clusterDoc     `json:"clusters,omitempty"`
	VirtualHosts []virtualHostDoc `json:"virtualHosts,omitempty"`
	Selected     []selectedDoc    `json:"selected,omitempty"`
	Alternates   []alternateDoc   `json:"alternates,omitempty"`
}

type selectedDoc struct {
	Kind      string            `json:"kind"`
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Selector  map[string]string `json:"selector"`
	Clusters  []clusterDoc      `json:"clusters,omitempty"`
}

// viewsToDoc writes the views in namespace order.
func viewsToDoc(views map[string]*View) ([]viewDoc, error) {
	var out []viewDoc
	for _, v := range views {
		d, err := viewToDoc(v)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out, nil
}

func viewToDoc(v *View) (viewDoc, error) {
	d := viewDoc{Namespace: v.Namespace}
	var err error
	for _, s := range v.Services {
		sd, err := serviceToDoc(s)
		if err != nil {
			return d, fmt.Errorf("view %s: %w", v.Namespace, err)
		}
		d.Services = append(d.Services, sd)
	}
	if d.Clusters, err = clustersToDoc(v.Clusters); err != nil {
		return d, fmt.Errorf("view %s: %w", v.Namespace, err)
	}
	for _, vh := range v.VirtualHosts {
		d.VirtualHosts = append(d.VirtualHosts, virtualHostToDoc(vh))
	}
	for _, s := range v.Selected {
		sd := selectedDoc{Kind: s.Ref.Kind, Namespace: s.Ref.Namespace, Name: s.Ref.Name, Selector: s.Selector}
		if sd.Clusters, err = clustersToDoc(s.Clusters); err != nil {
			return d, fmt.Errorf("view %s: %w", v.Namespace, err)
		}
		d.Selected = append(d.Selected, sd)
	}
	d.Alternates, err = alternatesToDoc(v.Alternates)
	return d, err
}

// alternateDoc is an Alternate: its routes and clusters name its service.
type alternateDoc struct {
	Service      serviceDoc       `json:"service"`
	Clusters     []clusterDoc     `json:"clusters,omitempty"`
	VirtualHosts []virtualHostDoc `json:"virtualHosts,omitempty"`
}

// alternatesToDoc writes alternates in their order, which is istiod's.
func alternatesToDoc(alts []*Alternate) ([]alternateDoc, error) {
	var out []alternateDoc
	for _, a := range alts {
		sd, err := serviceToDoc(a.Service)
		if err != nil {
			return nil, fmt.Errorf("alternate: %w", err)
		}
		d := alternateDoc{Service: sd}
		if d.Clusters, err = clustersToDoc(a.Clusters); err != nil {
			return nil, fmt.Errorf("alternate %s/%s: %w", a.Service.Namespace, a.Service.Hostname, err)
		}
		for _, vh := range a.VirtualHosts {
			d.VirtualHosts = append(d.VirtualHosts, virtualHostToDoc(vh))
		}
		out = append(out, d)
	}
	return out, nil
}

func alternatesFromDoc(docs []alternateDoc, byHost map[string]*Service) ([]*Alternate, error) {
	var out []*Alternate
	for i := range docs {
		a, err := alternateFromDoc(&docs[i], byHost)
		if err != nil {
			return nil, fmt.Errorf("alternate %s/%s: %w", docs[i].Service.Namespace, docs[i].Service.Hostname, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func alternateFromDoc(d *alternateDoc, byHost map[string]*Service) (*Alternate, error) {
	svcs, own, err := viewServicesFromDoc([]serviceDoc{d.Service}, byHost)
	if err != nil {
		return nil, err
	}
	a := &Alternate{Service: svcs[0]}
	if a.Clusters, err = clustersFromDoc(d.Clusters, own); err != nil {
		return nil, err
	}
	for i := range d.VirtualHosts {
		vh, err := virtualHostFromDoc(&d.VirtualHosts[i], own)
		if err != nil {
			return nil, err
		}
		a.VirtualHosts = append(a.VirtualHosts, vh)
	}
	return a, nil
}

func clustersToDoc(cs []*Cluster) ([]clusterDoc, error) {
	var out []clusterDoc
	for _, c := range cs {
		cd, err := clusterToDoc(c)
		if err != nil {
			return nil, err
		}
		out = append(out, cd)
	}
	return out, nil
}

func viewsFromDoc(docs []viewDoc, byHost map[string]*Service) (map[string]*View, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	out := map[string]*View{}
	for i := range docs {
		v, err := viewFromDoc(&docs[i], byHost)
		if err != nil {
			return nil, fmt.Errorf("view %s: %w", docs[i].Namespace, err)
		}
		out[v.Namespace] = v
	}
	return out, nil
}

func viewFromDoc(d *viewDoc, byHost map[string]*Service) (*View, error) {
	v := &View{Namespace: d.Namespace}
	var err error
	if v.Services, byHost, err = viewServicesFromDoc(d.Services, byHost); err != nil {
		return nil, err
	}
	if v.Clusters, err = clustersFromDoc(d.Clusters, byHost); err != nil {
		return nil, err
	}
	for i := range d.VirtualHosts {
		vh, err := virtualHostFromDoc(&d.VirtualHosts[i], byHost)
		if err != nil {
			return nil, err
		}
		v.VirtualHosts = append(v.VirtualHosts, vh)
	}
	for _, sd := range d.Selected {
		cs, err := clustersFromDoc(sd.Clusters, byHost)
		if err != nil {
			return nil, err
		}
		v.Selected = append(v.Selected, &SelectedRule{Ref: Ref{Kind: sd.Kind, Namespace: sd.Namespace, Name: sd.Name},
			Selector: sd.Selector, Clusters: cs})
	}
	v.Alternates, err = alternatesFromDoc(d.Alternates, byHost)
	return v, err
}

func clustersFromDoc(docs []clusterDoc, byHost map[string]*Service) ([]*Cluster, error) {
	var out []*Cluster
	for i := range docs {
		c, err := clusterFromDoc(&docs[i], byHost)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// viewServicesFromDoc reads a View's own services and returns the host
// index its clusters and routes resolve against: the mesh's, overlaid.
func viewServicesFromDoc(docs []serviceDoc, byHost map[string]*Service) ([]*Service, map[string]*Service, error) {
	if len(docs) == 0 {
		return nil, byHost, nil
	}
	own := make(map[string]*Service, len(byHost))
	for h, s := range byHost {
		own[h] = s
	}
	var out []*Service
	for i := range docs {
		s, err := serviceFromDoc(&docs[i])
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
		own[s.Hostname] = s
	}
	return out, own, nil
}
