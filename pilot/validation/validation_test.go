package validation

import (
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/config"
)

// snapshotOf decodes YAML documents into a Snapshot, failing on any decode
// error so that each case tests validation only.
func snapshotOf(t *testing.T, file, yaml string) *config.Snapshot {
	t.Helper()
	objs, errs := config.Decode(file, []byte(yaml))
	for _, e := range errs {
		t.Fatalf("decode: %v", e)
	}
	b := config.NewBuilder()
	for _, o := range objs {
		if err := b.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return b.Finish()
}

const reviewsDR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`

func vsYAML(httpRoutes string) string {
	return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n" + httpRoutes
}

func TestValidateSnapshot(t *testing.T) {
	tests := []struct {
		name, yaml string
		field      string // field path of the one expected error; "" = valid
		message    string // substring of its message
		res        string // resource in error (default "VirtualService default/reviews")
	}{
		{name: "bookinfo is valid", yaml: reviewsDR + "---\n" + vsYAML(`
  - match: [{uri: {prefix: /api}, headers: {x-user: {exact: jason}, x-debug: {}}}]
    route: [{destination: {host: reviews, subset: v2}}]
    timeout: 1.5s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,connect-failure,503"}
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 75}
    - {destination: {host: reviews, subset: v2}, weight: 25}
`)},
		{name: "single destination may omit weight", yaml: vsYAML("  - route: [{destination: {host: reviews}}]\n")},
		{name: "one weighted destination among several", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 100}, {destination: {host: b}}]\n")},
		{
			name: "invalid regex", yaml: vsYAML("  - match: [{uri: {regex: \"/api/(v1\"}}]\n    route: [{destination: {host: reviews}}]\n"),
			field: "spec.http[0].match[0].uri.regex", message: `invalid regex "/api/(v1": missing closing )`,
		},
		{
			name: "invalid regex in a header match", yaml: vsYAML("  - match: [{headers: {x-user: {regex: \"[a-\"}}}]\n    route: [{destination: {host: reviews}}]\n"),
			field: "spec.http[0].match[0].headers[x-user].regex", message: "invalid regex",
		},
		{
			name: "all weights 0", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 0}, {destination: {host: b}}]\n"),
			field: "spec.http[0].route", message: "all 2 destination weights are 0",
		},
		// Weights are relative shares (weight/sum), as in Istio: they need not sum to 100.
		{name: "weights summing to 90", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 60}, {destination: {host: b}, weight: 30}]\n")},
		{name: "weights summing to 110", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 50}, {destination: {host: b}, weight: 60}]\n")},
		{name: "weights in thirds", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 33}, {destination: {host: b}, weight: 33}, {destination: {host: c}, weight: 33}]\n")},
		{name: "small relative weights", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 1}, {destination: {host: b}, weight: 2}]\n")},
		{name: "single destination with weight 0", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 0}]\n")},
		{
			name: "negative weight", yaml: vsYAML("  - route: [{destination: {host: a}, weight: 110}, {destination: {host: b}, weight: -10}]\n"),
			field: "spec.http[0].route[1].weight", message: "must not be negative",
		},
		{
			name: "route to a subset no DestinationRule defines", yaml: reviewsDR + "---\n" + vsYAML(`
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v3}, weight: 50}
`),
			field: "spec.http[0].route[1].destination.subset", message: `subset "v3" is not defined by any DestinationRule for host reviews.default.svc.cluster.local`,
		},
		{
			name: "subset of a host in another namespace", yaml: reviewsDR + "---\n" + vsYAML("  - route: [{destination: {host: reviews.prod.svc.cluster.local, subset: v1}}]\n"),
			field: "spec.http[0].route[0].destination.subset", message: "reviews.prod.svc.cluster.local",
		},
		{
			name: "subset from a wildcard DestinationRule", yaml: "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: all, namespace: x}\nspec: {host: \"*.example.com\", subsets: [{name: blue}]}\n---\n" +
				vsYAML("  - route: [{destination: {host: api.example.com, subset: blue}}]\n"),
		},
		{
			name: "mirror to an undefined subset", yaml: reviewsDR + "---\n" + vsYAML("  - route: [{destination: {host: reviews}}]\n    mirror: {host: reviews, subset: shadow}\n"),
			field: "spec.http[0].mirror.subset", message: `subset "shadow"`,
		},
		{
			name: "negative duration", yaml: vsYAML("  - route: [{destination: {host: reviews}}]\n    retries: {attempts: 2, perTryTimeout: -1s}\n"),
			field: "spec.http[0].retries.perTryTimeout", message: "must not be negative",
		},
		{
			name: "delegate with gateways", yaml: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  gateways: [mesh]\n  http: [{route: [{destination: {host: reviews}}]}]\n",
			field: "spec.gateways", message: "delegate VirtualService (one without hosts) cannot set gateways",
		},
		{
			name: "empty uri match", yaml: vsYAML("  - match: [{uri: {}}]\n    route: [{destination: {host: reviews}}]\n"),
			field: "spec.http[0].match[0].uri", message: "one of exact, prefix or regex is required",
		},
		{
			name: "negative retry attempts", yaml: vsYAML("  - route: [{destination: {host: reviews}}]\n    retries: {attempts: -1}\n"),
			field: "spec.http[0].retries.attempts", message: "must not be negative",
		},
		{
			name: "unknown retryOn", yaml: vsYAML("  - route: [{destination: {host: reviews}}]\n    retries: {attempts: 1, retryOn: \"5xx,sometimes\"}\n"),
			field: "spec.http[0].retries.retryOn", message: `unknown retry condition "sometimes"`,
		},
		{
			name: "fault percentage over 100", yaml: vsYAML("  - route: [{destination: {host: reviews}}]\n    fault: {delay: {fixedDelay: 1s, percentage: {value: 150}}}\n"),
			field: "spec.http[0].fault.delay.percentage.value", message: "between 0.0001 and 100, got 150",
		},
		{
			name: "abort with a gRPC status number", yaml: vsYAML("  - route: [{destination: {host: reviews}}]\n    fault: {abort: {grpcStatus: \"14\"}}\n"),
			field: "spec.http[0].fault.abort.grpcStatus", message: "want a status name",
		},
		{
			name: "redirect with route", yaml: vsYAML("  - route: [{destination: {host: reviews}}]\n    redirect: {uri: /new}\n"),
			field: "spec.http[0].redirect", message: "route cannot be combined with redirect",
		},
		{
			name: "redirect with directResponse", yaml: vsYAML("  - redirect: {uri: /new}\n    directResponse: {status: 503}\n"),
			field: "spec.http[0].directResponse", message: "directResponse cannot be combined with redirect",
		},
		{
			name: "no action", yaml: vsYAML("  - match: [{uri: {prefix: /}}]\n"),
			field: "spec.http[0]", message: "needs one of route, redirect, directResponse or delegate",
		},
		{
			name: "tcp route weights need not sum to 100", res: "VirtualService default/reviews",
			yaml: "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  tcp: [{route: [{destination: {host: a}, weight: 30}, {destination: {host: b}, weight: 30}]}]\n",
		},
		{
			name: "tcp route weights all 0", res: "VirtualService default/reviews",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  tcp: [{route: [{destination: {host: a}, weight: 0}, {destination: {host: b}, weight: 0}]}]\n",
			field: "spec.tcp[0].route", message: "all 2 destination weights are 0",
		},
		{
			name: "tcp route negative weight", res: "VirtualService default/reviews",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  tcp: [{route: [{destination: {host: a}, weight: 110}, {destination: {host: b}, weight: -10}]}]\n",
			field: "spec.tcp[0].route[1].weight", message: "weight must not be negative, got -10",
		},

		// DestinationRule
		{
			name: "DestinationRule without host", res: "DestinationRule default/r",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {subsets: [{name: v1}]}\n",
			field: "spec", message: "host is required",
		},
		{
			name: "duplicate subset name", res: "DestinationRule default/r",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, subsets: [{name: v1}, {name: v1}]}\n",
			field: "spec.subsets[1].name", message: `duplicate subset name "v1"`,
		},
		{
			name: "empty subset name", res: "DestinationRule default/r",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, subsets: [{name: \"\", labels: {a: b}}]}\n",
			field: "spec.subsets[0]", message: "subset name is required",
		},
		{
			name: "maglev table size not prime", res: "DestinationRule default/r",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65536}}}}}\n",
			field: "spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize", message: "must be a prime number",
		},
		// The decoder takes enum numbers as they are (as jsonpb does); a
		// number the enum does not define is a validation error.
		{
			name: "undefined enum number", res: "DestinationRule default/r",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, subsets: [{name: v1, trafficPolicy: {tls: {mode: 42}}}]}\n",
			field: "spec.subsets[0].trafficPolicy.tls.mode", message: "unknown value 42 for TLSmode",
		},
		{
			name: "negative duration in a subset", res: "DestinationRule default/r",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, subsets: [{name: v1, trafficPolicy: {outlierDetection: {baseEjectionTime: -30s}}}]}\n",
			field: "spec.subsets[0].trafficPolicy.outlierDetection.baseEjectionTime", message: `invalid duration "-30s": must not be negative`,
		},
		{
			name: "negative duration in a kind weft does not act on", res: "Telemetry default/t",
			yaml:  "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: t}\nspec: {metrics: [{reportingInterval: -5s}]}\n",
			field: "spec.metrics[0].reportingInterval", message: "must not be negative",
		},

		// ServiceEntry
		{
			name: "ServiceEntry port 0", res: "ServiceEntry default/ext",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec:\n  hosts: [api.example.com]\n  resolution: DNS\n  ports:\n  - {number: 443, name: https, protocol: TLS}\n  - {number: 0, name: http, protocol: HTTP}\n",
			field: "spec.ports[1].number", message: "port number must be between 1 and 65535, got 0",
		},
		{
			name: "ServiceEntry duplicate port", res: "ServiceEntry default/ext",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec: {hosts: [a.example.com], ports: [{number: 80, name: a}, {number: 80, name: b}]}\n",
			field: "spec.ports[1].number", message: "duplicate port number 80",
		},
		{
			name: "ServiceEntry without hosts", res: "ServiceEntry default/ext",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec: {ports: [{number: 80, name: http}]}\n",
			field: "spec", message: "needs at least one host",
		},
		{
			name: "STATIC endpoint that is not an IP", res: "ServiceEntry default/ext",
			yaml:  "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext}\nspec: {hosts: [db.internal], resolution: STATIC, ports: [{number: 5432, name: pg}], endpoints: [{address: 10.0.0.1}, {address: db1.internal}]}\n",
			field: "spec.endpoints[1].address", message: "must be an IP address (or unix:// path) with resolution STATIC",
		},

		// Security
		{
			name: "AuthorizationPolicy CUSTOM without provider", res: "AuthorizationPolicy default/ext-authz",
			yaml:  "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ext-authz}\nspec: {action: CUSTOM, rules: [{}]}\n",
			field: "spec.provider.name", message: "CUSTOM action needs a provider",
		},
		{
			name: "RequestAuthentication without issuer", res: "RequestAuthentication default/jwt",
			yaml:  "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt}\nspec: {jwtRules: [{audiences: [orders]}]}\n",
			field: "spec.jwtRules[0].issuer", message: "issuer or jwksUri is required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateSnapshot(snapshotOf(t, "case.yaml", tt.yaml))
			if tt.field == "" {
				for _, e := range errs {
					t.Errorf("unexpected error: %v", e)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			e, res := errs[0], tt.res
			if res == "" {
				res = "VirtualService default/reviews"
			}
			if e.File != "case.yaml" || e.Line < 1 || e.Key().String() != res {
				t.Errorf("error names the wrong place or resource: %#v, want %s in case.yaml", e, res)
			}
			if e.Field != tt.field || !strings.Contains(e.Message, tt.message) {
				t.Errorf("got %s: %s\nwant %s: ...%s...", e.Field, e.Message, tt.field, tt.message)
			}
		})
	}
}

// The error carries the document's origin, so it reads like a compiler's.
func TestValidateSnapshotErrorOrigin(t *testing.T) {
	in := reviewsDR + "---\n" + vsYAML("  - route:\n    - {destination: {host: reviews, subset: v1}, weight: 110}\n    - {destination: {host: reviews, subset: v2}, weight: -10}\n")
	errs := ValidateSnapshot(snapshotOf(t, "samples/config/reviews.yaml", in))
	if len(errs) != 1 {
		t.Fatalf("got %v, want one error", errs)
	}
	want := "samples/config/reviews.yaml:10 (document 2): VirtualService default/reviews: spec.http[0].route[1].weight: weight must not be negative, got -10"
	if got := errs[0].Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// What validation used to check by hand and Istio's types now make the
// decoder reject: each is a decode error naming the field and its position,
// so validation never sees it.
func TestDecoderRejectsWhatTheSchemaForbids(t *testing.T) {
	dr := "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: r\n  trafficPolicy:\n"
	for _, tc := range []struct {
		name, yaml, field, message string
		line, column               int
	}{
		{"enum name Istio does not define", dr + "    loadBalancer: {simple: FASTEST}\n",
			"spec.trafficPolicy.loadBalancer.simple", `unknown value "FASTEST": want one of UNSPECIFIED`, 7, 28},
		{"two members of a oneof", dr + "    loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}\n",
			"spec.trafficPolicy.loadBalancer.consistentHash", "only one of", 7, 36},
		{"duration without a unit Go knows", dr + "    outlierDetection:\n      baseEjectionTime: 30 seconds\n",
			"spec.trafficPolicy.outlierDetection.baseEjectionTime", `invalid duration "30 seconds"`, 8, 25},
		{"string match with two kinds", vsYAML("  - match: [{uri: {exact: /a, prefix: /a}}]\n    route: [{destination: {host: reviews}}]\n"),
			"spec.http[0].match[0].uri.prefix", "only one of exact, prefix, regex", 7, 31},
		{"PeerAuthentication port that is not a number", "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\nspec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls: {http: {mode: STRICT}}\n",
			"spec.portLevelMtls[http]", "", 6, 19},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := config.Decode("case.yaml", []byte(tc.yaml))
			if len(errs) != 1 {
				t.Fatalf("got %d decode errors, want 1: %v", len(errs), errs)
			}
			e := errs[0]
			if e.Field != tc.field || !strings.Contains(e.Message, tc.message) || e.Line != tc.line || e.Column != tc.column {
				t.Errorf("got %d:%d %s: %s\nwant %d:%d %s: ...%s...", e.Line, e.Column, e.Field, e.Message, tc.line, tc.column, tc.field, tc.message)
			}
		})
	}
}
