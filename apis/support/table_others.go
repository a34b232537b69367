package support

// Notes shared by the registry kinds.
const (
	noNetwork   = "ignored: weft has one network"
	locality    = "the endpoint's locality for locality load balancing (else its istio-locality label)"
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
	{key: "resolution", entry: mesh(part, part, "sidecars: as istiod, STATIC is EDS, DNS is STRICT_DNS, DNS_ROUND_ROBIN is LOGICAL_DNS (IPv4 lookups, record TTL honoured), NONE is ORIGINAL_DST; DYNAMIC_DNS is not supported (an EDS cluster without endpoints); proxyless: DNS and DNS_ROUND_ROBIN are served as EDS with host names and NONE leaves the cluster out")},
	{key: "endpoints[]", entry: both()},
	{key: "endpoints[].address", entry: both()},
	{key: "endpoints[].ports{}", entry: both()},
	{key: "endpoints[].labels{}", entry: both()},
	{key: "endpoints[].network", entry: none(noNetwork)},
	{key: "endpoints[].locality", entry: mesh(yes, yes, locality)},
	{key: "endpoints[].weight", entry: mesh(yes, part, grpcWeights)},
	{key: "endpoints[].serviceAccount", entry: both()},
	{key: "workloadSelector", entry: mesh(part, part, "selects WorkloadEntries in the namespace, not Pods")},
	{key: "workloadSelector.labels{}", entry: mesh(part, part, "selects WorkloadEntries in the namespace, not Pods")},
	{key: "exportTo[]", entry: mesh(yes, yes, "proxies in namespaces not listed do not see the hosts (as the networking.istio.io/exportTo annotation on a Kubernetes Service); where entries in several namespaces define one host, a proxy takes one exported to it: its own namespace's, else the Kubernetes Service of that host, else one naming its namespace, else a public one; without exportTo, MeshConfig defaultServiceExportTo (\"*\" unless weftd --mesh-config sets it)")},
	{key: "subjectAltNames[]", entry: mesh(part, no, "checked by DestinationRule SIMPLE/MUTUAL origination when the rule names none, as istiod; ISTIO_MUTUAL verifies the endpoints' service accounts")},
}

// workloadEntryRows rates WorkloadEntry: it reaches proxies only as an
// endpoint of a ServiceEntry that selects it.
var workloadEntryRows = []row{
	{key: "", entry: mesh(part, part, "only as endpoints of a ServiceEntry whose workloadSelector matches; Kubernetes Services do not select WorkloadEntries")},
	{key: "address", entry: both()},
	{key: "ports{}", entry: both()},
	{key: "labels{}", entry: both()},
	{key: "network", entry: none(noNetwork)},
	{key: "locality", entry: mesh(yes, yes, locality)},
	{key: "weight", entry: mesh(yes, part, grpcWeights)},
	{key: "serviceAccount", entry: both()},
}

// sidecarProxyless: grpcgen builds a proxyless client's listeners and
// clusters from its Sidecar scope, as istiod does.
const sidecarProxyless = "proxyless: targets outside the egress hosts are not found (LDS), as with istiod"

// sidecarNoPassthrough: proxyless clients dial by name and have no
// passthrough, so the mode has nothing to act on.
const sidecarNoPassthrough = "proxyless: no passthrough, a target outside the registry is never found"

// sidecarRows rates Sidecar (pilot/translate/sidecar*.go, pilot/mesh/scope*.go,
// pilot/xds/envoy/generate.go, pilot/xds/grpcgen/generate.go).
var sidecarRows = concat(sidecarIngressRows(), sidecarEgressPortRows(), sidecarEgressProxyRows(), []row{
	{key: "", entry: mesh(part, part, "egress hosts and ports, outboundTrafficPolicy (egressProxy too), ingress listeners and inbound pools; not ingress TLS (istiod's default too), HTTP_PROXY or unix-socket egress; proxyless: egress hosts only, "+sidecarProxyless)},
	{key: "workloadSelector", entry: mesh(yes, yes, sidecarProxyless)},
	{key: "workloadSelector.labels{}", entry: mesh(yes, yes, sidecarProxyless)},
	{key: "egress[]", entry: mesh(yes, yes, sidecarProxyless)},
	{key: "egress[].hosts[]", entry: mesh(yes, yes, "for a host several namespaces define, the service of a namespace the hosts import (its own pick if imported, else a Kubernetes Service, else the first exported to it), as istiod; "+sidecarProxyless)},
	{key: "outboundTrafficPolicy", entry: mesh(yes, no, sidecarNoPassthrough)},
	{key: "outboundTrafficPolicy.mode", entry: mesh(yes, no, "REGISTRY_ONLY sends unknown destinations to BlackHoleCluster (HTTP: 502 from the block_all route), ALLOW_ANY to PassthroughCluster; unset, the mesh config's outboundTrafficPolicy mode (weftd --mesh-config; ALLOW_ANY by default), which also applies where no Sidecar does; "+sidecarNoPassthrough)},
})

// peerAuthenticationRows rates PeerAuthentication (pilot/translate/
// peerauthentication.go, pilot/mesh/mtls.go, pilot/xds/envoy/listeners.go,
// pilot/xds/grpcgen/listeners.go).
var peerAuthenticationRows = []row{
	{key: "", entry: mesh(yes, part, "inbound mTLS mode by mesh, namespace, workload and port, ports no Service declares included; automatic mTLS clients send plaintext where the server disables mTLS; proxyless: STRICT is mTLS by xDS certificate providers, DISABLE plaintext, PERMISSIVE one of the two (grpc-go cannot accept both on one port); proxyless clients use mTLS when every endpoint is meshed and does not DISABLE it")},
	{key: "selector", entry: both()},
	{key: "selector.matchLabels{}", entry: both()},
	{key: "mtls", entry: both()},
	{key: "mtls.mode", entry: mesh(yes, part, modeNote)},
	{key: "portLevelMtls{}", entry: mesh(yes, yes, "on policies with a selector, as in Istio (translate warns when there is none)")},
	{key: "portLevelMtls{}.mode", entry: mesh(yes, part, modeNote)},
}

// modeNote: grpc-go keeps only filter chains matching transport_protocol
// "" or "raw_buffer", so it cannot tell TLS from plaintext on one port.
const modeNote = "proxyless: PERMISSIVE is served as istiod does, mTLS only on a workload labelled security.istio.io/tlsMode=istio and plaintext otherwise (weftd reports it degraded); STRICT without a certificate provider stops serving"
