package translate

import (
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
)

// istiod lists a namespace's services as its own exported to it, then
// others exported to it by name, then public ones, oldest first in each,
// and a Kubernetes Service wins over ServiceEntries of its host.
func TestPickExported(t *testing.T) {
	svc := func(ns, name string, exportTo ...string) *mesh.Service {
		return &mesh.Service{Hostname: "api.example.com", Namespace: ns, Name: name, ExportTo: exportTo}
	}
	ownA := svc("a", "", "a")
	toAB := svc("b", "", "b", "a")
	pubC := svc("c", "")
	pubD := svc("d", "")
	hidden := svc("e", "", "~")
	kubeF := svc("f", "api")
	for _, tc := range []struct {
		name  string
		cands []*mesh.Service
		ns    string
		want  *mesh.Service
	}{
		{"own namespace first", []*mesh.Service{pubC, toAB, ownA}, "a", ownA},
		{"exported by name before public", []*mesh.Service{pubC, toAB}, "a", toAB},
		{"exporter's own namespace", []*mesh.Service{ownA, toAB, pubC}, "b", toAB},
		{"public for others, oldest first", []*mesh.Service{ownA, pubD, pubC}, "x", pubD},
		{"public in its own namespace is only public", []*mesh.Service{toAB, pubC}, "c", pubC},
		{"none exported", []*mesh.Service{ownA, hidden}, "x", nil},
		{"a namespace no config names", []*mesh.Service{ownA, pubC}, anyNamespace, pubC},
		{"kubernetes wins", []*mesh.Service{ownA, kubeF}, "a", kubeF},
		{"hidden kubernetes does not", []*mesh.Service{ownA, svc("f", "api", "f")}, "a", ownA},
	} {
		if got := pickExported(tc.cands, tc.ns); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
