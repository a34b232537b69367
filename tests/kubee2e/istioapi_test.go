package kubee2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// requireIstioAPI runs against the installed mesh (Istio's CRDs as
// istio.io/api ships them, weft's validating webhook enforcing): what a user
// sees when kubectl applies Istio YAML weft cannot use in full.
func requireIstioAPI(t *testing.T, env *kubeenv.Env) {
	ns := env.Namespace(t)
	t.Run("unknown field is refused, naming it", func(t *testing.T) {
		vs := vsWith(ns, "typo", "    - destination: {host: reviews}\n      wieght: 10\n")
		_, stderr, err := env.KubectlWarnings("apply", "-f", writeTemp(t, vs))
		if err == nil || !strings.Contains(stderr, "spec.http[0].route[0].wieght") {
			t.Fatalf("a VirtualService with an unknown field was not refused naming it: err=%v\n%s", err, stderr)
		}
		// Istio's CRD schema runs before any webhook: kubectl's default strict
		// field validation has the API server refuse the object.
		if !strings.Contains(stderr, "strict decoding error") {
			t.Errorf("want the API server's strict decoding error, got %s", stderr)
		}
	})
	t.Run("unknown field the API server dropped is a weft warning", func(t *testing.T) {
		vs := vsWith(ns, "typo-pruned", "    - destination: {host: reviews}\n      wieght: 10\n")
		_, stderr, err := env.KubectlWarnings("apply", "--validate=false", "-f", writeTemp(t, vs))
		if err != nil || !strings.Contains(stderr, "spec.http[0].route[0].wieght: unknown field: the API server dropped it") {
			t.Fatalf("want the pruned field named in a warning from weft's webhook: err=%v\n%s", err, stderr)
		}
	})
	t.Run("invalid value is denied by weft's webhook, naming the field", func(t *testing.T) {
		vs := vsWith(ns, "badregex", "    - destination: {host: reviews}\n    match: [{uri: {regex: \"(unclosed\"}}]\n")
		_, stderr, err := env.KubectlWarnings("apply", "-f", writeTemp(t, vs))
		if err == nil || !strings.Contains(stderr, `admission webhook "validation.weft.io" denied the request`) ||
			!strings.Contains(stderr, "spec.http[0].match[0].uri") {
			t.Fatalf("an invalid regex was not denied by weft naming the field: err=%v\n%s", err, stderr)
		}
	})
	t.Run("unsupported field is admitted with a warning and a status condition", func(t *testing.T) {
		dr := fmt.Sprintf("apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: unsupported, namespace: %s}\n"+
			"spec:\n  host: reviews\n  trafficPolicy:\n    tunnel: {protocol: CONNECT, targetHost: egress.example, targetPort: 8080}\n", ns)
		_, stderr, err := env.KubectlWarnings("apply", "-f", writeTemp(t, dr))
		if err != nil || !strings.Contains(stderr, "Warning:") || !strings.Contains(stderr, "spec.trafficPolicy.tunnel") {
			t.Fatalf("want the DestinationRule admitted with a warning naming spec.trafficPolicy.tunnel: err=%v\n%s", err, stderr)
		}
		waitStatus(t, env, "destinationrule", ns, "unsupported", time.Minute, func(v statusView) bool {
			c := v.accepted()
			return c != nil && c.Status == "True" && strings.Contains(c.Message, "spec.trafficPolicy.tunnel: not supported")
		})
	})
	for _, kind := range []string{"EnvoyFilter", "WasmPlugin"} {
		t.Run(kind+" is not supported by weft", func(t *testing.T) {
			_, stderr, err := env.KubectlWarnings("apply", "-f", writeTemp(t, unsupportedKindYAML(ns, kind)))
			if err != nil || !strings.Contains(stderr, "not supported by weft") {
				t.Fatalf("want %s admitted with a warning: err=%v\n%s", kind, err, stderr)
			}
			v := waitStatus(t, env, strings.ToLower(kind), ns, "x", time.Minute, func(v statusView) bool { return v.accepted() != nil })
			if c := v.accepted(); c.Status != "False" || c.Reason != "NotSupported" || !strings.Contains(c.Message, "not supported by weft") {
				t.Errorf("status: %+v, want Accepted=False NotSupported", *c)
			}
		})
	}
}

// vsWith is a VirtualService for reviews whose one HTTP rule's route holds
// routeLines (indented as route entries), optionally followed by rule fields.
func vsWith(ns, name, routeLines string) string {
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %s, namespace: %s}
spec:
  hosts: [reviews]
  http:
  - route:
%s`, name, ns, routeLines)
}

func unsupportedKindYAML(ns, kind string) string {
	switch kind {
	case "EnvoyFilter":
		return fmt.Sprintf(`apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: x, namespace: %s}
spec:
  configPatches:
  - applyTo: HTTP_FILTER
    match: {context: SIDECAR_INBOUND}
    patch: {operation: INSERT_BEFORE, value: {name: example.lua}}
`, ns)
	default:
		return fmt.Sprintf(`apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: x, namespace: %s}
spec:
  url: oci://registry.example.com/filters/auth:1.0
  phase: AUTHN
`, ns)
	}
}
