package build_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// irGoldens are the translate goldens: the build goldens read the reviewed
// IR text back rather than translating again, so this seam is tested on
// exactly the IR a reviewer sees, and a translation change that leaves the
// IR alone cannot move these files.
const irGoldens = "../../translate/testdata"

// flavours are the two outputs build has: Envoy sidecars and grpc-go.
var flavours = []struct {
	name string
	opts build.Options
}{
	{"sidecar", build.Options{}},
	{"proxyless", build.Options{Proxyless: true}},
}

// TestGolden builds every feature's IR into clusters (CDS), endpoints
// (EDS) and route virtual hosts (RDS), for both flavours, and compares
// them with testdata/<feature>/{cds,eds,rds}.yaml. Degradations (what a
// flavour drops) are written as comments next to the resource.
func TestGolden(t *testing.T) {
	irs, err := filepath.Glob(filepath.Join(irGoldens, "*", "ir.yaml"))
	if err != nil || len(irs) == 0 {
		t.Fatalf("no IR goldens under %s: %v", irGoldens, err)
	}
	for _, path := range irs {
		feature := filepath.Base(filepath.Dir(path))
		t.Run(feature, func(t *testing.T) {
			m := readIR(t, path)
			out := map[string]*bytes.Buffer{"cds": {}, "eds": {}, "rds": {}}
			for _, f := range flavours {
				opts := f.opts
				opts.Mesh = m
				section(out, "# "+f.name+"\n")
				renderClusters(t, out["cds"], m, opts)
				renderEndpoints(t, out["eds"], m)
				renderRoutes(t, out["rds"], m, opts)
				renderViews(t, out, m, f.name, opts)
			}
			for typ, buf := range out {
				golden.Compare(t, filepath.Join("testdata", feature, typ+".yaml"), buf.Bytes())
			}
		})
	}
}

// TestNoOrphanGoldens fails when a build golden outlives its feature's IR.
func TestNoOrphanGoldens(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(irGoldens, filepath.Base(d), "ir.yaml")); err != nil {
			t.Errorf("%s has no IR golden (%v): remove it or add the feature to pilot/translate/testdata", d, err)
		}
	}
}

func section(out map[string]*bytes.Buffer, header string) {
	for _, b := range out {
		b.WriteString(header)
	}
}

func readIR(t *testing.T, path string) *mesh.Mesh {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mesh.UnmarshalYAML(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func renderClusters(t *testing.T, buf *bytes.Buffer, m *mesh.Mesh, opts build.Options) {
	for _, c := range m.Clusters {
		var deg build.Degradations
		cl := build.Cluster(c, opts, &deg)
		writeDegradations(buf, deg)
		if cl == nil {
			buf.WriteString("# " + c.Key.String() + ": omitted\n")
			continue
		}
		writeResource(t, buf, cl)
	}
}

// renderEndpoints lists what EDS carries for each cluster; it is the same
// for both flavours, and is repeated so each section reads on its own.
func renderEndpoints(t *testing.T, buf *bytes.Buffer, m *mesh.Mesh) {
	for _, c := range m.Clusters {
		if c.Service.Resolution == mesh.ResolutionPassthrough {
			continue
		}
		writeResource(t, buf, build.LoadAssignment(c.Key.String(), c.Endpoints(), m.PeerAuthn))
	}
	renderLocalityViews(t, buf, m)
}

// renderLocalityViews lists EDS as each client pod (one no service
// selects) with a locality sees it: the priorities and weights each
// cluster's localityLbSetting gives from there.
func renderLocalityViews(t *testing.T, buf *bytes.Buffer, m *mesh.Mesh) {
	for _, w := range m.Workloads.All() {
		if w.Locality == "" || len(m.InstancesAt(w.IP)) > 0 {
			continue
		}
		buf.WriteString("# from " + w.Namespace + "/" + w.Name + " in " + w.Locality + "\n")
		for _, c := range m.Clusters {
			if c.Service.Resolution == mesh.ResolutionEDS {
				writeResource(t, buf, build.ProxyLoadAssignment(c, m, mesh.LocalityView{Locality: w.Locality, Labels: w.Labels, NodeName: w.NodeName}))
			}
		}
	}
}

// renderRoutes writes one Envoy virtual host per HTTP service port, named
// host:port, holding the routes build makes for its rules.
func renderRoutes(t *testing.T, buf *bytes.Buffer, m *mesh.Mesh, opts build.Options) {
	for _, vh := range m.VirtualHosts {
		if !vh.Port.Protocol.IsHTTP() {
			continue
		}
		opts.ListenerPort = vh.Port.Number
		var deg build.Degradations
		routes := build.VirtualHostRoutes(vh.HTTPRoutes, vh, m, opts, &deg)
		writeDegradations(buf, deg)
		// Domains are per proxy (pilot/xds/envoy); only the name is set here.
		name := vh.Service.Hostname + ":" + strconv.FormatUint(uint64(vh.Port.Number), 10)
		writeResource(t, buf, &routev3.VirtualHost{Name: name, Routes: routes})
	}
}

// renderViews writes what each namespace View replaces (views.go in
// pilot/mesh), built against the mesh that namespace sees.
func renderViews(t *testing.T, out map[string]*bytes.Buffer, m *mesh.Mesh, flavour string, opts build.Options) {
	for _, ns := range slices.Sorted(maps.Keys(m.Views)) {
		v := m.Views[ns]
		vm := m.ViewFor(ns, nil)
		opts.Mesh = vm
		section(out, "# "+flavour+" view "+ns+"\n")
		clusters := &mesh.Mesh{Clusters: v.Clusters}
		for _, s := range v.Selected {
			clusters.Clusters = append(clusters.Clusters, s.Clusters...)
		}
		renderClusters(t, out["cds"], clusters, opts)
		renderEndpoints(t, out["eds"], clusters)
		routes := *vm
		routes.VirtualHosts = v.VirtualHosts
		renderRoutes(t, out["rds"], &routes, opts)
	}
}

func writeDegradations(buf *bytes.Buffer, deg build.Degradations) {
	for _, d := range deg {
		buf.WriteString("# degraded: " + d + "\n")
	}
}

func writeResource(t *testing.T, buf *bytes.Buffer, msg proto.Message) {
	t.Helper()
	j, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		t.Fatal(err)
	}
	buf.WriteString("---\n")
	buf.Write(y)
}
