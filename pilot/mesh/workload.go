package mesh

// Workload is what the cluster says about a pod, which outranks what a
// proxy claims about itself in its node metadata.
type Workload struct {
	Name           string
	Namespace      string
	IP             string
	Labels         map[string]string
	ServiceAccount string
	// Locality is the pod's, from its labels or its Node's.
	Locality string
	NodeName string
}

// Workloads indexes pods by namespace/name and by IP.
type Workloads struct {
	byName map[string]*Workload
	byIP   map[string]*Workload
}

// NewWorkloads indexes ws; with duplicate IPs the first wins.
func NewWorkloads(ws []*Workload) Workloads {
	idx := Workloads{byName: make(map[string]*Workload, len(ws)), byIP: make(map[string]*Workload, len(ws))}
	for _, w := range ws {
		idx.byName[w.Namespace+"/"+w.Name] = w
		if _, dup := idx.byIP[w.IP]; w.IP != "" && !dup {
			idx.byIP[w.IP] = w
		}
	}
	return idx
}

// Find looks a pod up by namespace/name, then by IP.
func (w Workloads) Find(namespace, name, ip string) *Workload {
	if wl := w.byName[namespace+"/"+name]; wl != nil && name != "" {
		return wl
	}
	return w.byIP[ip]
}
