package analysis

import (
	"bytes"
	"fmt"
	"testing"
	"text/template"
)

// benchDocs is one service's worth of config, as users write it: the kinds
// weft reads most, with the fields that make decoding and validation work.
var benchDocs = template.Must(template.New("svc").Parse(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: svc{{.}}
  namespace: ns{{.}}
spec:
  hosts: [svc{{.}}.ns{{.}}.svc.cluster.local]
  http:
  - name: canary
    match:
    - headers:
        x-canary: {exact: "true"}
      uri: {prefix: /api/}
    route:
    - destination: {host: svc{{.}}.ns{{.}}.svc.cluster.local, subset: v2}
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,reset"}
  - route:
    - destination: {host: svc{{.}}.ns{{.}}.svc.cluster.local, subset: v1, port: {number: 8080}}
      weight: 90
    - destination: {host: svc{{.}}.ns{{.}}.svc.cluster.local, subset: v2, port: {number: 8080}}
      weight: 10
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: svc{{.}}
  namespace: ns{{.}}
spec:
  host: svc{{.}}.ns{{.}}.svc.cluster.local
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 1s}
      http: {http1MaxPendingRequests: 64, maxRequestsPerConnection: 10}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: svc{{.}}
  namespace: ns{{.}}
spec:
  selector:
    matchLabels: {app: svc{{.}}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: [cluster.local/ns/ns{{.}}/sa/client]}
    to:
    - operation: {methods: [GET, POST], paths: [/api/*]}
---
apiVersion: v1
kind: Service
metadata:
  name: svc{{.}}
  namespace: ns{{.}}
spec:
  selector: {app: svc{{.}}}
  ports:
  - name: http
    port: 8080
---
`))

// benchInputs renders n resources (n/4 services' worth) into files of 100.
func benchInputs(b *testing.B, n int) []Input {
	var inputs []Input
	var buf bytes.Buffer
	for i := 0; i < n/4; i++ {
		if err := benchDocs.Execute(&buf, i); err != nil {
			b.Fatal(err)
		}
		if (i+1)%25 == 0 || i == n/4-1 {
			inputs = append(inputs, Input{Name: fmt.Sprintf("bench-%03d.yaml", len(inputs)), Data: bytes.Clone(buf.Bytes())})
			buf.Reset()
		}
	}
	return inputs
}

// BenchmarkValidate10k is `weftctl validate` over 10,000 resources: decoding
// plus validation, the cost a CI pipeline or the webhook pays per resource.
func BenchmarkValidate10k(b *testing.B) {
	inputs := benchInputs(b, 10000)
	// Valid, though weft warns that it does not act on AuthorizationPolicy.
	if msgs := Validate(inputs); HasErrors(msgs) {
		b.Fatalf("bench input must be valid, got %d messages, first: %v", len(msgs), msgs[0].Err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Validate(inputs)
	}
}
