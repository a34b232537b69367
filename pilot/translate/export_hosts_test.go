package translate

import (
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
)

// As istiod's default Sidecar scope picks one service per host (checked
// over ADS): the proxy's own namespace's when one is exported to it, else
// a Kubernetes Service, else the first of those exported to the namespace
// by name, then public ones, oldest first.
func TestPickExported(t *testing.T) {
	svc := func(ns, name string, exportTo ...string) *mesh.Service {
		return &mesh.Service{Hostname: "api.example.com", Namespace: ns, Name: name, ExportTo: exportTo}
	}
	ownA := svc("a", "", "a")
	pubA := svc("a", "")
	toAB := svc("b", "", "b", "a")
	pubC := svc("c", "")
	pubD := svc("d", "")
	hidden := svc("e", "", "~")
	kubeF := svc("f", "api")
	kubeA := svc("a", "api", "a")
	for _, tc := range []struct {
		name  string
		cands []*mesh.Service
		ns    string
		want  *mesh.Service
	}{
		{"own namespace first", []*mesh.Service{pubC, toAB, ownA}, "a", ownA},
		{"own public before exported by name", []*mesh.Service{toAB, pubA}, "a", pubA},
		{"own private before own public", []*mesh.Service{pubA, ownA}, "a", ownA},
		{"exported by name before public", []*mesh.Service{pubC, toAB}, "a", toAB},
		{"exporter's own namespace", []*mesh.Service{ownA, toAB, pubC}, "b", toAB},
		{"public for others, oldest first", []*mesh.Service{ownA, pubD, pubC}, "x", pubD},
		{"none exported", []*mesh.Service{ownA, hidden}, "x", nil},
		{"a namespace no config names", []*mesh.Service{ownA, pubC}, anyNamespace, pubC},
		{"kubernetes before others elsewhere", []*mesh.Service{toAB, kubeF}, "a", kubeF},
		{"own namespace before kubernetes elsewhere", []*mesh.Service{ownA, kubeF}, "a", ownA},
		{"kubernetes first within own namespace", []*mesh.Service{ownA, kubeA}, "a", kubeA},
		{"hidden kubernetes does not count", []*mesh.Service{toAB, svc("f", "api", "f")}, "a", toAB},
	} {
		if got := pickExported(tc.cands, tc.ns); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
