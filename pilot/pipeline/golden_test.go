package pipeline

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

// The proxy every golden is generated for: productpage-v1 in default.
const goldenNodeID = "sidecar~10.244.0.10~productpage-v1.default~default.svc.cluster.local"

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			m := translate.Translate(golden.Snapshot(t, in), "golden")
			for _, kind := range []xds.Kind{xds.KindSidecar, xds.KindProxyless} {
				res := generate(t, m, kind)
				if err := res.Validate(); err != nil {
					t.Fatalf("%s: ValidateAll: %v", kind, err)
				}
				compare(t, strings.TrimSuffix(in, ".in.yaml")+"."+string(kind)+".out.yaml", render(t, res, m))
			}
		})
	}
}

func goldenProxy(t testing.TB, kind xds.Kind) *xds.Proxy {
	t.Helper()
	md, _ := structpb.NewStruct(map[string]any{
		"NAMESPACE": "default", "SERVICE_ACCOUNT": "bookinfo-productpage",
		"LABELS": map[string]any{"app": "productpage", "version": "v1"},
	})
	if kind == xds.KindProxyless {
		md.Fields["GENERATOR"] = structpb.NewStringValue("grpc")
		md.Fields["CERT_PROVIDERS"] = structpb.NewStringValue("default")
	}
	p, err := xds.ParseNode(&core.Node{Id: goldenNodeID, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// generate asks, for the proxyless kind, for every service port by FQDN
// and by short name plus one server listener, as gRPC applications would.
func generate(t *testing.T, m *mesh.Mesh, kind xds.Kind) xds.Resources {
	p := goldenProxy(t, kind)
	if kind == xds.KindSidecar {
		res, _ := envoy.Generate(m, p)
		return res
	}
	names := []string{strings.Replace(grpcgen.ServerListenerTemplate, "%s", "10.244.0.10:9080", 1)}
	for _, vh := range m.VirtualHosts {
		port := ":" + itoa(vh.Port.Number)
		names = append(names, vh.Service.Hostname+port)
		if vh.Service.Name != "" && vh.Service.Namespace == p.Namespace {
			names = append(names, vh.Service.Name+port)
		}
	}
	res, _ := grpcgen.Generate(m, p, names)
	return res
}

// render writes resources as YAML grouped by type, plus the diagnostics,
// so reviewers read the goldens like Envoy config dumps.
func render(t *testing.T, res xds.Resources, m *mesh.Mesh) []byte {
	var buf bytes.Buffer
	for _, typ := range xds.TypeURLs {
		buf.WriteString("# " + typ + "\n")
		for _, r := range res.List(typ) {
			j, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(r)
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
	}
	for _, d := range m.Diagnostics {
		buf.WriteString("# diagnostic: " + d.Ref.String() + " " + d.Field + " (" + d.Reason + "): " + d.Message + "\n")
	}
	return buf.Bytes()
}

// compare checks a whole-mesh golden; go test ./pilot/pipeline -update
// rewrites them (refused under CI, see pilot/golden).
func compare(t *testing.T, path string, got []byte) {
	t.Helper()
	golden.Compare(t, path, got)
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
