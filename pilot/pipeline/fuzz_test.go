package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/validation"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
	"github.com/weftmesh/weft/pilot/xds/guard"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// fuzzVS is a VirtualService on the http-features service; seeds put
// characters Envoy refuses into the fields that reach a route.
const fuzzVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: f, namespace: default}
spec:
  hosts: [ratings]
  http:
`

// FuzzAcceptedConfigIsValidEnvoy: whatever validation accepts, every
// resource generated from it passes Envoy's validation rules. Validation
// must refuse what Envoy would refuse; guard.Apply only backs it up.
func FuzzAcceptedConfigIsValidEnvoy(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.in.yaml")
	features, _ := filepath.Glob("../translate/testdata/*/input.yaml") // one per feature
	for _, name := range append(files, features...) {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	svc, _ := os.ReadFile("testdata/http-features.in.yaml")
	for _, rule := range fuzzRules {
		f.Add([]byte(string(svc) + "\n---\n" + fuzzVS + rule))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := acceptedMesh(data)
		for _, p := range fuzzProxies(t, m) {
			res, _ := share.Build(p.specs)
			if err := validateAll(res); err != nil {
				t.Fatalf("%s: validation accepted config that generates an invalid resource: %v", p.name, err)
			}
		}
	})
}

// fuzzRules are http rules with values Envoy refuses or barely accepts.
var fuzzRules = []string{
	"  - headers: {request: {set: {x-a: \"a\\r\\nb\"}}}\n    route: [{destination: {host: ratings}}]\n",
	"  - headers: {response: {add: {\"x\\u0000\": v}}}\n    route: [{destination: {host: ratings}}]\n",
	"  - headers: {request: {remove: [\"x\\nb\"]}}\n    route: [{destination: {host: ratings}}]\n",
	"  - match: [{headers: {\"x\\r\": {exact: a}}}]\n    route: [{destination: {host: ratings}}]\n",
	"  - match: [{headers: {x: {exact: \"a\\nb\"}}}]\n    route: [{destination: {host: ratings}}]\n",
	"  - match: [{queryParams: {\"q\\n\": {exact: a}}}]\n    route: [{destination: {host: ratings}}]\n",
	"  - match: [{uri: {regex: \"(\"}}]\n    route: [{destination: {host: ratings}}]\n",
	"  - redirect: {uri: \"/a\\nb\", authority: \"h\\r\"}\n",
	"  - rewrite: {uri: \"/a\\u0000\", authority: \"a\\nb\"}\n    route: [{destination: {host: ratings}}]\n",
	"  - directResponse: {status: 99}\n",
	"  - corsPolicy: {allowOrigins: [{exact: \"a\\nb\"}], allowHeaders: [\"x\\r\"]}\n    route: [{destination: {host: ratings}}]\n",
	"  - fault: {abort: {httpStatus: 700, percentage: {value: 101}}}\n    route: [{destination: {host: ratings}}]\n",
	"  - retries: {attempts: -1, retryOn: \"5xx,\\n\"}\n    route: [{destination: {host: ratings}}]\n",
	"  - timeout: 9999999999s\n    route: [{destination: {host: ratings}}]\n",
}

// acceptedMesh decodes data and translates what validation accepts.
func acceptedMesh(data []byte) *mesh.Mesh {
	objs, _ := config.Decode("fuzz.yaml", data)
	b := config.NewBuilder()
	for _, o := range objs {
		_ = b.Add(o) // a duplicate is the source's problem, not this property's
	}
	accepted, _ := validation.AcceptSnapshot(nil, b.Finish())
	return translate.Translate(accepted, "fuzz")
}

type fuzzProxy struct {
	name  string
	specs []share.Spec
}

// fuzzProxies are a sidecar in default, one at an endpoint (it has
// inbound listeners too), and a proxyless client asking for every
// virtual host: few, so the fuzzer runs many inputs.
func fuzzProxies(t testing.TB, m *mesh.Mesh) []fuzzProxy {
	sc := goldenProxy(t, xds.KindSidecar)
	out := []fuzzProxy{{"sidecar", envoy.Specs(m, sc)}}
	if ip := firstEndpointIP(m); ip != "" {
		p := *sc
		p.IP = ip
		out = append(out, fuzzProxy{"sidecar at " + ip, envoy.Specs(m, &p)})
	}
	var names []string
	for _, vh := range m.VirtualHosts {
		names = append(names, vh.Service.Hostname+":"+strconv.FormatUint(uint64(vh.Port.Number), 10))
	}
	return append(out, fuzzProxy{"grpc", grpcgen.Specs(m, goldenProxy(t, xds.KindProxyless), names)})
}

func firstEndpointIP(m *mesh.Mesh) string {
	for _, vh := range m.VirtualHosts { // in order: the same input, the same proxy
		if eps := vh.Service.Endpoints[vh.Port.Number]; len(eps) > 0 {
			return eps[0].Address
		}
	}
	return ""
}

// validateAll validates every resource, inside typed configs too.
func validateAll(res xds.Resources) error {
	for _, typ := range xds.TypeURLs {
		for _, name := range res.Names(typ) {
			if err := guard.ValidateDeep(res[typ][name]); err != nil {
				return fmt.Errorf("%s %q: %w", typ, name, err)
			}
		}
	}
	return nil
}
