package v1

import (
	"encoding/json"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

// Documents written the way Istio's docs and users write them; strict decoding
// proves every JSON name matches Istio's.
const canaryVirtualService = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews-route
  namespace: bookinfo
spec:
  hosts:
  - reviews.prod.svc.cluster.local
  http:
  - name: reviews-v2-routes
    match:
    - uri:
        prefix: /wpcatalog
    - uri:
        prefix: /consumercatalog
    rewrite:
      uri: /newcatalog
    route:
    - destination:
        host: reviews.prod.svc.cluster.local
        subset: v2
  - name: reviews-v1-route
    route:
    - destination:
        host: reviews.prod.svc.cluster.local
        subset: v1
      weight: 75
    - destination:
        host: reviews.prod.svc.cluster.local
        subset: v2
      weight: 25
`

const fullVirtualService = `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: ratings
  namespace: prod
spec:
  hosts:
  - ratings.prod.svc.cluster.local
  gateways:
  - mesh
  - istio-system/public-gateway
  exportTo:
  - "."
  http:
  - name: jason
    match:
    - name: jason-match
      headers:
        end-user:
          exact: jason
      uri:
        regex: ^/ratings/[0-9]+$
      ignoreUriCase: true
      queryParams:
        debug:
          exact: "1"
      withoutHeaders:
        x-canary:
          exact: "false"
      sourceLabels:
        app: reviews
      sourceNamespace: bookinfo
      port: 9080
      method:
        exact: GET
      authority:
        prefix: ratings
      scheme:
        exact: https
      statPrefix: jason
    fault:
      delay:
        percentage:
          value: 0.1
        fixedDelay: 5s
      abort:
        percentage:
          value: 12.5
        httpStatus: 400
    retries:
      attempts: 3
      perTryTimeout: 2s
      retryOn: gateway-error,connect-failure,refused-stream
      retryRemoteLocalities: true
    timeout: 10s
    mirror:
      host: ratings-mirror
      subset: v3
      port:
        number: 9080
    mirrorPercentage:
      value: 50.0
    corsPolicy:
      allowOrigins:
      - exact: https://example.com
      - regex: https://.*\.example\.org
      allowMethods:
      - POST
      - GET
      allowCredentials: false
      allowHeaders:
      - X-Foo-Bar
      exposeHeaders:
      - X-Expose
      maxAge: 24h
    headers:
      request:
        set:
          x-forwarded-by: weft
        remove:
        - x-internal
      response:
        add:
          x-served-by: ratings
    route:
    - destination:
        host: ratings.prod.svc.cluster.local
        subset: v1
      headers:
        response:
          remove:
          - foo
  - match:
    - uri:
        prefix: /api/v1
    rewrite:
      authority: api.internal
      uriRegexRewrite:
        match: ^/api/v1/(.*)$
        rewrite: /\1
    mirrors:
    - destination:
        host: shadow-a
      percentage:
        value: 10
    - destination:
        host: shadow-b
    route:
    - destination:
        host: api.prod.svc.cluster.local
  - match:
    - uri:
        exact: /old
    redirect:
      uri: /new
      authority: newratings.default.svc.cluster.local
      redirectCode: 308
  - match:
    - uri:
        prefix: /down
    directResponse:
      status: 503
      body:
        string: unavailable
  - match:
    - uri:
        prefix: /delegated
    delegate:
      name: ratings-delegate
      namespace: other
  tcp:
  - match:
    - port: 27017
      destinationSubnets:
      - 10.0.0.0/8
    route:
    - destination:
        host: mongo.backup.svc.cluster.local
        port:
          number: 5555
  tls:
  - match:
    - port: 443
      sniHosts:
      - login.bookinfo.com
    route:
    - destination:
        host: login.prod.svc.cluster.local
`

const destinationRule = `
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: bookinfo-ratings
spec:
  host: ratings.prod.svc.cluster.local
  exportTo:
  - "*"
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie:
          name: user
          path: /
          ttl: 0s
      warmupDurationSecs: 60s
    connectionPool:
      tcp:
        maxConnections: 100
        connectTimeout: 30ms
        tcpKeepalive:
          time: 7200s
          interval: 75s
          probes: 9
      http:
        http1MaxPendingRequests: 64
        http2MaxRequests: 1000
        maxRequestsPerConnection: 10
        maxRetries: 3
        idleTimeout: 1h
        h2UpgradePolicy: UPGRADE
    outlierDetection:
      consecutive5xxErrors: 7
      consecutiveGatewayErrors: 3
      interval: 5m
      baseEjectionTime: 15m
      maxEjectionPercent: 50
      minHealthPercent: 30
    tls:
      mode: ISTIO_MUTUAL
    portLevelSettings:
    - port:
        number: 80
      loadBalancer:
        simple: LEAST_REQUEST
    - port:
        number: 9443
      loadBalancer:
        simple: ROUND_ROBIN
      connectionPool:
        tcp:
          maxConnections: 10
      outlierDetection:
        consecutive5xxErrors: 2
      tls:
        mode: SIMPLE
        sni: ratings.example.com
        credentialName: ratings-client
        subjectAltNames:
        - ratings.example.com
        insecureSkipVerify: false
  subsets:
  - name: testversion
    labels:
      version: v3
    trafficPolicy:
      loadBalancer:
        simple: ROUND_ROBIN
  - name: v2
    labels:
      version: v2
    trafficPolicy:
      loadBalancer:
        consistentHash:
          httpHeaderName: x-user
          ringHash:
            minimumRingSize: 1024
        localityLbSetting:
          enabled: true
          distribute:
          - from: us-west/zone1/*
            to:
              us-west/zone1/*: 80
              us-west/zone2/*: 20
          failover:
          - from: us-east
            to: eu-west
`

const serviceEntry = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: external-svc-mongocluster
spec:
  hosts:
  - mymongodb.somedomain
  addresses:
  - 192.192.192.192/24
  ports:
  - number: 27018
    name: mongodb
    protocol: MONGO
    targetPort: 27019
  location: MESH_INTERNAL
  resolution: STATIC
  exportTo:
  - "."
  subjectAltNames:
  - spiffe://cluster.local/ns/db/sa/mongo
  endpoints:
  - address: 2.2.2.2
  - address: 3.3.3.3
    ports:
      mongodb: 27020
    labels:
      app: mongo
    locality: us-east1/us-east1-b
    weight: 10
    network: vm-net
    serviceAccount: mongo
`

const workloadEntry = `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: details-svc
spec:
  serviceAccount: details-legacy
  address: 2.2.2.2
  labels:
    app: details-legacy
    instance-id: vm1
  ports:
    http: 9080
`

const sidecar = `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: ratings
  namespace: prod-us1
spec:
  workloadSelector:
    labels:
      app: ratings
  ingress:
  - port:
      number: 9080
      protocol: HTTPS
      name: somename
    defaultEndpoint: unix:///var/run/someuds.sock
    tls:
      mode: SIMPLE
      privateKey: /etc/certs/privatekey.pem
      serverCertificate: /etc/certs/servercert.pem
  egress:
  - port:
      number: 9080
      protocol: HTTP
      name: egresshttp
    hosts:
    - prod-us1/*
  - hosts:
    - istio-system/*
  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
`

const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: my-gateway
  namespace: some-config-namespace
spec:
  selector:
    app: my-gateway-controller
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - uk.bookinfo.com
    - eu.bookinfo.com
    tls:
      httpsRedirect: true
  - port:
      number: 443
      name: https-443
      protocol: HTTPS
    hosts:
    - uk.bookinfo.com
    tls:
      mode: SIMPLE
      credentialName: bookinfo-secret
      minProtocolVersion: TLSV1_2
  - port:
      number: 9443
      name: https-9443
      protocol: HTTPS
    hosts:
    - bookinfo-namespace/*.bookinfo.com
    tls:
      mode: MUTUAL
      serverCertificate: /etc/certs/servercert.pem
      privateKey: /etc/certs/privatekey.pem
      caCertificates: /etc/certs/caCertificates.pem
`

func TestStrictDecodeIstioYAML(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		into  func() any
		check func(t *testing.T, obj any)
	}{
		{"canary VirtualService", canaryVirtualService, func() any { return &VirtualService{} }, func(t *testing.T, obj any) {
			vs := obj.(*VirtualService)
			eq(t, "namespace", vs.Namespace, "bookinfo")
			eq(t, "hosts", vs.Spec.Hosts, []string{"reviews.prod.svc.cluster.local"})
			eq(t, "routes", len(vs.Spec.HTTP), 2)
			eq(t, "match[1].uri.prefix", vs.Spec.HTTP[0].Match[1].URI.Prefix, "/consumercatalog")
			eq(t, "rewrite.uri", vs.Spec.HTTP[0].Rewrite.URI, "/newcatalog")
			r := vs.Spec.HTTP[1].Route
			eq(t, "v1 weight", r[0].Weight, int32(75))
			eq(t, "v2 subset", r[1].Destination.Subset, "v2")
			eq(t, "v2 weight", r[1].Weight, int32(25))
		}},
		{"VirtualService with every HTTP feature", fullVirtualService, func() any { return &VirtualService{} }, func(t *testing.T, obj any) {
			vs := obj.(*VirtualService)
			eq(t, "apiVersion", vs.APIVersion, "networking.istio.io/v1beta1")
			eq(t, "gateways", vs.Spec.Gateways, []string{"mesh", "istio-system/public-gateway"})
			eq(t, "exportTo", vs.Spec.ExportTo, []string{"."})
			h := vs.Spec.HTTP[0]
			m := h.Match[0]
			eq(t, "header end-user", m.Headers["end-user"], StringMatch{Exact: "jason"})
			eq(t, "uri regex", m.URI.Regex, "^/ratings/[0-9]+$")
			eq(t, "ignoreUriCase", m.IgnoreURICase, true)
			eq(t, "queryParams", m.QueryParams["debug"].Exact, "1")
			eq(t, "withoutHeaders", m.WithoutHeaders["x-canary"].Exact, "false")
			eq(t, "sourceLabels", m.SourceLabels, map[string]string{"app": "reviews"})
			eq(t, "port", m.Port, uint32(9080))
			eq(t, "method", m.Method.Exact, "GET")
			eq(t, "fault delay", *h.Fault.Delay.FixedDelay, Duration("5s"))
			eq(t, "fault delay percentage", h.Fault.Delay.Percentage.Value, 0.1)
			eq(t, "fault abort status", h.Fault.Abort.HTTPStatus, int32(400))
			eq(t, "fault abort percentage", h.Fault.Abort.Percentage.Value, 12.5)
			eq(t, "retries.attempts", h.Retries.Attempts, int32(3))
			eq(t, "retries.perTryTimeout", *h.Retries.PerTryTimeout, Duration("2s"))
			eq(t, "retries.retryOn", h.Retries.RetryOn, "gateway-error,connect-failure,refused-stream")
			eq(t, "retries.retryRemoteLocalities", *h.Retries.RetryRemoteLocalities, true)
			eq(t, "timeout", *h.Timeout, Duration("10s"))
			eq(t, "mirror", *h.Mirror, Destination{Host: "ratings-mirror", Subset: "v3", Port: &PortSelector{Number: 9080}})
			eq(t, "mirrorPercentage", h.MirrorPercentage.Value, 50.0)
			eq(t, "cors origins", h.CorsPolicy.AllowOrigins, []StringMatch{{Exact: "https://example.com"}, {Regex: `https://.*\.example\.org`}})
			eq(t, "cors methods", h.CorsPolicy.AllowMethods, []string{"POST", "GET"})
			eq(t, "cors credentials", *h.CorsPolicy.AllowCredentials, false)
			eq(t, "cors maxAge", *h.CorsPolicy.MaxAge, Duration("24h"))
			eq(t, "request set", h.Headers.Request.Set, map[string]string{"x-forwarded-by": "weft"})
			eq(t, "request remove", h.Headers.Request.Remove, []string{"x-internal"})
			eq(t, "response add", h.Headers.Response.Add, map[string]string{"x-served-by": "ratings"})
			eq(t, "destination headers", h.Route[0].Headers.Response.Remove, []string{"foo"})

			rw := vs.Spec.HTTP[1]
			eq(t, "uriRegexRewrite", *rw.Rewrite.URIRegexRewrite, RegexRewrite{Match: "^/api/v1/(.*)$", Rewrite: `/\1`})
			eq(t, "mirrors", len(rw.Mirrors), 2)
			eq(t, "mirrors[0].percentage", rw.Mirrors[0].Percentage.Value, 10.0)
			eq(t, "mirrors[1].host", rw.Mirrors[1].Destination.Host, "shadow-b")

			eq(t, "redirect", *vs.Spec.HTTP[2].Redirect, HTTPRedirect{URI: "/new", Authority: "newratings.default.svc.cluster.local", RedirectCode: 308})
			eq(t, "directResponse", *vs.Spec.HTTP[3].DirectResponse, HTTPDirectResponse{Status: 503, Body: &HTTPBody{String: "unavailable"}})
			eq(t, "delegate", *vs.Spec.HTTP[4].Delegate, Delegate{Name: "ratings-delegate", Namespace: "other"})
			eq(t, "tcp port", vs.Spec.TCP[0].Match[0].Port, uint32(27017))
			eq(t, "tcp subnets", vs.Spec.TCP[0].Match[0].DestinationSubnets, []string{"10.0.0.0/8"})
			eq(t, "tcp dest port", vs.Spec.TCP[0].Route[0].Destination.Port.Number, uint32(5555))
			eq(t, "tls sni", vs.Spec.TLS[0].Match[0].SniHosts, []string{"login.bookinfo.com"})
			eq(t, "tls dest", vs.Spec.TLS[0].Route[0].Destination.Host, "login.prod.svc.cluster.local")
		}},
		{"DestinationRule with subsets, consistent hash, outlier detection and port settings", destinationRule, func() any { return &DestinationRule{} }, func(t *testing.T, obj any) {
			dr := obj.(*DestinationRule)
			tp := dr.Spec.TrafficPolicy
			eq(t, "host", dr.Spec.Host, "ratings.prod.svc.cluster.local")
			eq(t, "cookie", *tp.LoadBalancer.ConsistentHash.HTTPCookie, HTTPCookie{Name: "user", Path: "/", TTL: ptr(Duration("0s"))})
			eq(t, "warmup", *tp.LoadBalancer.WarmupDurationSecs, Duration("60s"))
			eq(t, "maxConnections", tp.ConnectionPool.TCP.MaxConnections, int32(100))
			eq(t, "connectTimeout", *tp.ConnectionPool.TCP.ConnectTimeout, Duration("30ms"))
			eq(t, "keepalive", *tp.ConnectionPool.TCP.TCPKeepalive, TCPKeepalive{Probes: 9, Time: ptr(Duration("7200s")), Interval: ptr(Duration("75s"))})
			eq(t, "http1MaxPendingRequests", tp.ConnectionPool.HTTP.HTTP1MaxPendingRequests, int32(64))
			eq(t, "http2MaxRequests", tp.ConnectionPool.HTTP.HTTP2MaxRequests, int32(1000))
			eq(t, "h2UpgradePolicy", tp.ConnectionPool.HTTP.H2UpgradePolicy, "UPGRADE")
			eq(t, "consecutive5xxErrors", *tp.OutlierDetection.Consecutive5xxErrors, uint32(7))
			eq(t, "consecutiveGatewayErrors", *tp.OutlierDetection.ConsecutiveGatewayErrors, uint32(3))
			eq(t, "interval", *tp.OutlierDetection.Interval, Duration("5m"))
			eq(t, "maxEjectionPercent", tp.OutlierDetection.MaxEjectionPercent, int32(50))
			eq(t, "tls mode", tp.TLS.Mode, "ISTIO_MUTUAL")
			eq(t, "port settings", len(tp.PortLevelSettings), 2)
			eq(t, "port 80 lb", tp.PortLevelSettings[0].LoadBalancer.Simple, "LEAST_REQUEST")
			p := tp.PortLevelSettings[1]
			eq(t, "port number", p.Port.Number, uint32(9443))
			eq(t, "port tls", p.TLS.Sni, "ratings.example.com")
			eq(t, "port tls credential", p.TLS.CredentialName, "ratings-client")
			eq(t, "port insecureSkipVerify", *p.TLS.InsecureSkipVerify, false)
			eq(t, "port outlier", *p.OutlierDetection.Consecutive5xxErrors, uint32(2))
			eq(t, "subsets", len(dr.Spec.Subsets), 2)
			eq(t, "subset labels", dr.Spec.Subsets[0].Labels, map[string]string{"version": "v3"})
			lb := dr.Spec.Subsets[1].TrafficPolicy.LoadBalancer
			eq(t, "subset hash header", lb.ConsistentHash.HTTPHeaderName, "x-user")
			eq(t, "ring size", lb.ConsistentHash.RingHash.MinimumRingSize, uint64(1024))
			eq(t, "locality enabled", *lb.LocalityLbSetting.Enabled, true)
			eq(t, "locality distribute", lb.LocalityLbSetting.Distribute[0].To, map[string]uint32{"us-west/zone1/*": 80, "us-west/zone2/*": 20})
			eq(t, "locality failover", lb.LocalityLbSetting.Failover[0], LocalityFailover{From: "us-east", To: "eu-west"})
		}},
		{"ServiceEntry with endpoints", serviceEntry, func() any { return &ServiceEntry{} }, func(t *testing.T, obj any) {
			se := obj.(*ServiceEntry)
			eq(t, "ports", se.Spec.Ports, []ServicePort{{Number: 27018, Name: "mongodb", Protocol: "MONGO", TargetPort: 27019}})
			eq(t, "location", se.Spec.Location, "MESH_INTERNAL")
			eq(t, "resolution", se.Spec.Resolution, "STATIC")
			eq(t, "addresses", se.Spec.Addresses, []string{"192.192.192.192/24"})
			eq(t, "endpoints", len(se.Spec.Endpoints), 2)
			eq(t, "endpoint 0", se.Spec.Endpoints[0], WorkloadEntrySpec{Address: "2.2.2.2"})
			eq(t, "endpoint 1", se.Spec.Endpoints[1], WorkloadEntrySpec{
				Address: "3.3.3.3", Ports: map[string]uint32{"mongodb": 27020}, Labels: map[string]string{"app": "mongo"},
				Locality: "us-east1/us-east1-b", Weight: 10, Network: "vm-net", ServiceAccount: "mongo",
			})
		}},
		{"WorkloadEntry", workloadEntry, func() any { return &WorkloadEntry{} }, func(t *testing.T, obj any) {
			we := obj.(*WorkloadEntry)
			eq(t, "address", we.Spec.Address, "2.2.2.2")
			eq(t, "ports", we.Spec.Ports, map[string]uint32{"http": 9080})
			eq(t, "serviceAccount", we.Spec.ServiceAccount, "details-legacy")
		}},
		{"Sidecar", sidecar, func() any { return &Sidecar{} }, func(t *testing.T, obj any) {
			sc := obj.(*Sidecar)
			eq(t, "selector", sc.Spec.WorkloadSelector.Labels, map[string]string{"app": "ratings"})
			eq(t, "ingress port", *sc.Spec.Ingress[0].Port, SidecarPort{Number: 9080, Protocol: "HTTPS", Name: "somename"})
			eq(t, "ingress endpoint", sc.Spec.Ingress[0].DefaultEndpoint, "unix:///var/run/someuds.sock")
			eq(t, "ingress tls", sc.Spec.Ingress[0].TLS.Mode, "SIMPLE")
			eq(t, "egress hosts", sc.Spec.Egress[1].Hosts, []string{"istio-system/*"})
			eq(t, "outbound", sc.Spec.OutboundTrafficPolicy.Mode, "REGISTRY_ONLY")
		}},
		{"Gateway", gateway, func() any { return &Gateway{} }, func(t *testing.T, obj any) {
			gw := obj.(*Gateway)
			eq(t, "selector", gw.Spec.Selector, map[string]string{"app": "my-gateway-controller"})
			eq(t, "servers", len(gw.Spec.Servers), 3)
			eq(t, "port", *gw.Spec.Servers[0].Port, Port{Number: 80, Name: "http", Protocol: "HTTP"})
			eq(t, "httpsRedirect", gw.Spec.Servers[0].TLS.HTTPSRedirect, true)
			eq(t, "credentialName", gw.Spec.Servers[1].TLS.CredentialName, "bookinfo-secret")
			eq(t, "minProtocolVersion", gw.Spec.Servers[1].TLS.MinProtocolVersion, TLSProtocol("TLSV1_2"))
			eq(t, "mutual", gw.Spec.Servers[2].TLS.Mode, "MUTUAL")
			eq(t, "hosts", gw.Spec.Servers[2].Hosts, []string{"bookinfo-namespace/*.bookinfo.com"})
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

// TestStrictDecodeRejectsUnknownFields guards against a silently lenient decoder.
func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	doc := `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: typo
spec:
  hosts: [a]
  http:
  - route:
    - destination:
        host: a
      wieght: 10
`
	if err := yaml.UnmarshalStrict([]byte(doc), &VirtualService{}); err == nil {
		t.Fatal("UnmarshalStrict accepted an unknown field")
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func ptr[T any](v T) *T { return &v }
