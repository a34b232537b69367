package v1

import (
	"encoding/json"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
)

// Documents written the way Istio's docs and users write them; strict decoding
// proves every JSON name matches Istio's.
const peerAuthentication = `
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: finance
  namespace: foo
spec:
  selector:
    matchLabels:
      app: finance
  mtls:
    mode: STRICT
  portLevelMtls:
    8080:
      mode: DISABLE
    "9090":
      mode: PERMISSIVE
`

const meshPeerAuthentication = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`

const authorizationPolicy = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  selector:
    matchLabels:
      app: httpbin
      version: v1
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/sleep"]
    - source:
        namespaces: ["dev"]
        notIpBlocks: ["10.0.0.0/8"]
        remoteIpBlocks: ["203.0.113.0/24"]
        requestPrincipals: ["*"]
    to:
    - operation:
        methods: ["GET"]
        paths: ["/info*"]
    - operation:
        methods: ["POST"]
        paths: ["/data"]
        ports: ["8080"]
        notHosts: ["admin.example.com"]
    when:
    - key: request.auth.claims[iss]
      values: ["https://accounts.google.com"]
    - key: source.ip
      notValues: ["10.1.2.3"]
`

const customAuthorizationPolicy = `
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: ext-authz
  namespace: istio-system
spec:
  targetRefs:
  - kind: Gateway
    group: gateway.networking.k8s.io
    name: waypoint
  action: CUSTOM
  provider:
    name: my-ext-authz
  rules:
  - to:
    - operation:
        notPaths: ["/healthz"]
`

const allowAllPolicy = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: allow-all
spec:
  rules:
  - {}
`

const requestAuthentication = `
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata:
  name: jwt-example
  namespace: istio-system
spec:
  selector:
    matchLabels:
      istio: ingressgateway
  jwtRules:
  - issuer: issuer-foo
    jwksUri: https://example.com/.well-known/jwks.json
    audiences:
    - bookstore_android.apps.example.com
    fromHeaders:
    - name: x-jwt-assertion
      prefix: "Bearer "
    fromParams:
    - my_token
    fromCookies:
    - session
    outputPayloadToHeader: x-jwt-payload
    forwardOriginalToken: true
    outputClaimToHeaders:
    - header: x-jwt-iss
      claim: iss
    timeout: 5s
  - issuer: issuer-bar
    jwks: '{"keys":[]}'
`

func TestStrictDecodeIstioYAML(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		into  func() any
		check func(t *testing.T, obj any)
	}{
		{"PeerAuthentication with portLevelMtls", peerAuthentication, func() any { return &PeerAuthentication{} }, func(t *testing.T, obj any) {
			pa := obj.(*PeerAuthentication)
			eq(t, "selector", pa.Spec.Selector.MatchLabels, map[string]string{"app": "finance"})
			eq(t, "mtls", pa.Spec.Mtls.Mode, "STRICT")
			// An unquoted YAML integer key arrives as the string "8080".
			eq(t, "portLevelMtls", pa.Spec.PortLevelMtls, map[string]PeerAuthenticationMutualTLS{
				"8080": {Mode: "DISABLE"},
				"9090": {Mode: "PERMISSIVE"},
			})
		}},
		{"mesh-wide PeerAuthentication", meshPeerAuthentication, func() any { return &PeerAuthentication{} }, func(t *testing.T, obj any) {
			pa := obj.(*PeerAuthentication)
			eq(t, "selector", pa.Spec.Selector, (*WorkloadSelector)(nil))
			eq(t, "mtls", pa.Spec.Mtls.Mode, "STRICT")
		}},
		{"ALLOW AuthorizationPolicy", authorizationPolicy, func() any { return &AuthorizationPolicy{} }, func(t *testing.T, obj any) {
			ap := obj.(*AuthorizationPolicy)
			eq(t, "action", ap.Spec.Action, "ALLOW")
			eq(t, "selector", ap.Spec.Selector.MatchLabels, map[string]string{"app": "httpbin", "version": "v1"})
			r := ap.Spec.Rules[0]
			eq(t, "from[0]", r.From[0].Source.Principals, []string{"cluster.local/ns/default/sa/sleep"})
			eq(t, "from[1]", *r.From[1].Source, Source{
				Namespaces: []string{"dev"}, NotIPBlocks: []string{"10.0.0.0/8"},
				RemoteIPBlocks: []string{"203.0.113.0/24"}, RequestPrincipals: []string{"*"},
			})
			eq(t, "to[0]", *r.To[0].Operation, Operation{Methods: []string{"GET"}, Paths: []string{"/info*"}})
			eq(t, "to[1].ports", r.To[1].Operation.Ports, []string{"8080"})
			eq(t, "to[1].notHosts", r.To[1].Operation.NotHosts, []string{"admin.example.com"})
			eq(t, "when", r.When, []Condition{
				{Key: "request.auth.claims[iss]", Values: []string{"https://accounts.google.com"}},
				{Key: "source.ip", NotValues: []string{"10.1.2.3"}},
			})
		}},
		{"CUSTOM AuthorizationPolicy with targetRefs", customAuthorizationPolicy, func() any { return &AuthorizationPolicy{} }, func(t *testing.T, obj any) {
			ap := obj.(*AuthorizationPolicy)
			eq(t, "action", ap.Spec.Action, "CUSTOM")
			eq(t, "provider", ap.Spec.Provider.Name, "my-ext-authz")
			eq(t, "targetRefs", ap.Spec.TargetRefs, []PolicyTargetReference{{Kind: "Gateway", Group: "gateway.networking.k8s.io", Name: "waypoint"}})
			eq(t, "notPaths", ap.Spec.Rules[0].To[0].Operation.NotPaths, []string{"/healthz"})
		}},
		{"allow-all AuthorizationPolicy", allowAllPolicy, func() any { return &AuthorizationPolicy{} }, func(t *testing.T, obj any) {
			// "rules: [{}]" (match everything) must stay distinct from no rules.
			eq(t, "rules", obj.(*AuthorizationPolicy).Spec.Rules, []Rule{{}})
		}},
		{"RequestAuthentication", requestAuthentication, func() any { return &RequestAuthentication{} }, func(t *testing.T, obj any) {
			ra := obj.(*RequestAuthentication)
			eq(t, "selector", ra.Spec.Selector.MatchLabels, map[string]string{"istio": "ingressgateway"})
			r := ra.Spec.JwtRules[0]
			eq(t, "issuer", r.Issuer, "issuer-foo")
			eq(t, "jwksUri", r.JwksURI, "https://example.com/.well-known/jwks.json")
			eq(t, "audiences", r.Audiences, []string{"bookstore_android.apps.example.com"})
			eq(t, "fromHeaders", r.FromHeaders, []JWTHeader{{Name: "x-jwt-assertion", Prefix: "Bearer "}})
			eq(t, "fromParams", r.FromParams, []string{"my_token"})
			eq(t, "fromCookies", r.FromCookies, []string{"session"})
			eq(t, "outputPayloadToHeader", r.OutputPayloadToHeader, "x-jwt-payload")
			eq(t, "forwardOriginalToken", r.ForwardOriginalToken, true)
			eq(t, "outputClaimToHeaders", r.OutputClaimToHeaders, []ClaimToHeader{{Header: "x-jwt-iss", Claim: "iss"}})
			eq(t, "timeout", *r.Timeout, networkingv1.Duration("5s"))
			eq(t, "jwks", ra.Spec.JwtRules[1].Jwks, `{"keys":[]}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := tt.into()
			if err := yaml.UnmarshalStrict([]byte(tt.doc), obj); err != nil {
				t.Fatalf("UnmarshalStrict: %v", err)
			}
			tt.check(t, obj)

			// Encoding and decoding again must be lossless.
			data, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			again := tt.into()
			if err := json.Unmarshal(data, again); err != nil {
				t.Fatalf("Unmarshal round trip: %v", err)
			}
			if !reflect.DeepEqual(obj, again) {
				t.Errorf("round trip changed the object:\n%s", data)
			}
		})
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
