package analysis

import (
	"strings"
	"testing"
)

// validate fails a Service port that does not say its protocol, at the
// field at fault, as istioctl validate does; UDP ports and the control
// plane's namespaces are exempt, and analyze is not affected.
func TestValidateServicePorts(t *testing.T) {
	svc := func(ns, ports string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: " + ns + "}\nspec:\n  ports:\n" + ports
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"no protocol prefix", svc("shop", "  - {name: web, port: 80}\n"), "spec.ports[0].name"},
		{"unnamed", svc("shop", "  - {port: 80}\n"), "spec.ports[0]"},
		{"unknown appProtocol", svc("shop", "  - {name: http, port: 80, appProtocol: thrift}\n"), "spec.ports[0].appProtocol"},
		{"prefix in any case", svc("shop", "  - {name: GRPC-api, port: 80}\n"), ""},
		{"known appProtocol", svc("shop", "  - {name: web, port: 80, appProtocol: redis}\n"), ""},
		{"UDP", svc("shop", "  - {port: 53, protocol: UDP}\n"), ""},
		{"istio-system", svc("istio-system", "  - {name: web, port: 80}\n"), ""},
		{"in a List", "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(svc("shop", "  - {name: web, port: 80}\n"), "\n", "\n  "), "items[0].spec.ports[0].name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []Input{{Name: "s.yaml", Data: []byte(tc.data)}}
			var got []string
			for _, m := range Validate(in) {
				got = append(got, m.Code+" "+m.Severity.String()+" "+m.Err.Field)
			}
			want := []string{}
			if tc.want != "" {
				want = []string{CodePortNameNoProtocol + " Error " + tc.want}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("validate: got %q, want %q", got, want)
			}
			for _, m := range Analyze(in, Options{}) {
				if m.Severity == Error {
					t.Errorf("analyze: %s", m)
				}
			}
		})
	}
}
