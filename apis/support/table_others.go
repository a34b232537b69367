package support

// Notes shared by the registry kinds.
const (
	noLocality  = "ignored: endpoints carry no locality or network"
	grpcWeights = "proxyless: grpc-go's round robin ignores endpoint weights; ring hash uses them"
)

// serviceEntryRows rates ServiceEntry (pilot/serviceregistry/serviceentry.go,
// pilot/xds/build/cluster.go, pilot/xds/envoy/listeners.go and routes.go).
var serviceEntryRows = []row{
	{key: "", entry: mesh(yes, yes, "services and endpoints; workloadSelector selects WorkloadEntries only")},
	{key: "hosts[]", entry: both()},
	{key: "addresses[]", entry: mesh(yes, no, "sidecars: TCP listeners and route domains; proxyless clients dial by name")},
	{key: "ports[]", entry: both()},
	{key: "ports[].number", entry: both()},
	{key: "ports[].protocol", entry: both()},
	{key: "ports[].name", entry: both()},
	{key: "ports[].targetPort", entry: both()},
	{key: "location", entry: both()},
	{key: "resolution", entry: mesh(part, part, "DNS_ROUND_ROBIN is served as DNS (STRICT_DNS); proxyless: DNS is served as EDS with host names and NONE leaves the cluster out")},
	{key: "endpoints[]", entry: both()},
	{key: "endpoints[].address", entry: both()},
	{key: "endpoints[].ports{}", entry: both()},
	{key: "endpoints[].labels{}", entry: both()},
	{key: "endpoints[].network", entry: none(noLocality)},
	{key: "endpoints[].locality", entry: none(noLocality)},
	{key: "endpoints[].weight", entry: mesh(yes, part, grpcWeights)},
	{key: "endpoints[].serviceAccount", entry: both()},
	{key: "workloadSelector", entry: mesh(part, part, "selects WorkloadEntries in the namespace, not Pods")},
	{key: "workloadSelector.labels{}", entry: mesh(part, part, "selects WorkloadEntries in the namespace, not Pods")},
	{key: "exportTo[]", entry: none("ignored: visible to all namespaces")},
	{key: "subjectAltNames[]", entry: none("ignored: servers are verified against their endpoints' service accounts")},
}

// workloadEntryRows rates WorkloadEntry: it reaches proxies only as an
// endpoint of a ServiceEntry that selects it.
var workloadEntryRows = []row{
	{key: "", entry: mesh(part, part, "only as endpoints of a ServiceEntry whose workloadSelector matches; Kubernetes Services do not select WorkloadEntries")},
	{key: "address", entry: both()},
	{key: "ports{}", entry: both()},
	{key: "labels{}", entry: both()},
	{key: "network", entry: none(noLocality)},
	{key: "locality", entry: none(noLocality)},
	{key: "weight", entry: mesh(yes, part, grpcWeights)},
	{key: "serviceAccount", entry: both()},
}

// sidecarNoProxyless: grpcgen sends a proxyless client what it asks for,
// without Sidecar scoping.
const sidecarNoProxyless = "proxyless: Sidecar scopes are not applied to proxyless clients"

// sidecarRows rates Sidecar (pilot/translate/sidecar*.go, pilot/mesh/scope*.go,
// pilot/xds/envoy/generate.go).
var sidecarRows = concat(sidecarIngressRows(), sidecarEgressPortRows(), sidecarEgressProxyRows(), []row{
	{key: "", entry: mesh(part, no, "egress hosts and ports, outboundTrafficPolicy (egressProxy too), ingress listeners and inbound pools; not ingress TLS (istiod's default too), HTTP_PROXY or unix-socket egress; "+sidecarNoProxyless)},
	{key: "workloadSelector", entry: mesh(yes, no, sidecarNoProxyless)},
	{key: "workloadSelector.labels{}", entry: mesh(yes, no, sidecarNoProxyless)},
	{key: "egress[]", entry: mesh(yes, no, sidecarNoProxyless)},
	{key: "egress[].hosts[]", entry: mesh(yes, no, sidecarNoProxyless)},
	{key: "outboundTrafficPolicy", entry: mesh(yes, no, sidecarNoProxyless)},
	{key: "outboundTrafficPolicy.mode", entry: mesh(yes, no, "REGISTRY_ONLY sends unknown destinations to BlackHoleCluster (HTTP: 502 from the block_all route), ALLOW_ANY to PassthroughCluster; "+sidecarNoProxyless)},
})

// peerAuthenticationRows rates PeerAuthentication (pilot/translate/
// peerauthentication.go, pilot/mesh/mtls.go, pilot/xds/envoy/listeners.go,
// pilot/xds/grpcgen/listeners.go).
var peerAuthenticationRows = []row{
	{key: "", entry: mesh(yes, part, "inbound mTLS mode by mesh, namespace, workload and port, ports no Service declares included; automatic mTLS clients send plaintext where the server disables mTLS; proxyless: PERMISSIVE is served as plaintext")},
	{key: "selector", entry: both()},
	{key: "selector.matchLabels{}", entry: both()},
	{key: "mtls", entry: both()},
	{key: "mtls.mode", entry: mesh(yes, part, modeNote)},
	{key: "portLevelMtls{}", entry: mesh(yes, yes, "on policies with a selector, as in Istio (translate warns when there is none)")},
	{key: "portLevelMtls{}.mode", entry: mesh(yes, part, modeNote)},
}

// modeNote: grpc-go cannot tell TLS from plaintext on one port.
const modeNote = "proxyless: PERMISSIVE is served as plaintext; STRICT without a certificate provider stops serving"
