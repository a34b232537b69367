// Package contract is the one owner of what weftd, weft-agent, the injector
// and the Helm chart must agree on: ports, Service names, the control
// plane's address and certificate names, SDS names, node metadata keys,
// environment variables, paths inside the sidecar and weft-agent's flags.
// contract_test.go (and manifests' tests) check every side against it.
package contract

import (
	"fmt"
	"strconv"
	"strings"
)

// Ports (Istio's numbers, so Istio tooling and habits carry over).
const (
	PortEnvoyAdmin   = 15000 // Envoy admin, loopback only
	PortOutbound     = 15001 // iptables redirects outbound TCP here
	PortInbound      = 15006 // iptables redirects inbound TCP here
	PortXDSPlaintext = 15010 // weftd: plaintext ADS, loopback by default
	PortSecure       = 15012 // weftd: CA and ADS over mutual TLS
	PortDebug        = 15014 // weftd: /debug/*, /metrics, pprof; loopback by default
	PortWebhook      = 15017 // weftd: admission webhooks (HTTPS)
	PortAgentStatus  = 15020 // weft-agent: app probes and /healthz/ready
	PortReadiness    = 15021 // Envoy's readiness (Istio's port, never captured)
	PortPrometheus   = 15090 // Envoy's Prometheus stats
)

// ProxyUID is the UID and GID the sidecar runs as; iptables exempts it.
const ProxyUID = 1337

// Names of the control plane's Kubernetes objects.
const (
	DefaultNamespace = "weft-system"
	// ControlPlaneService fronts weftd's ports; IstiodAlias is accepted in
	// weftd's certificate so proxies bootstrapped by Istio verify it too.
	ControlPlaneService = "weftd"
	IstiodAlias         = "istiod"
	WebhookService      = "weft-webhook"
	// RootCertConfigMap is published in every namespace with the mesh roots.
	RootCertConfigMap = "istio-ca-root-cert"
	RootCertKey       = "root-cert.pem"
	// TokenAudience is the audience of the projected token the CA accepts.
	TokenAudience = "istio-ca"
)

// ControlPlaneHost is the name proxies dial weftd by in namespace ns; it is
// also the name they verify in weftd's certificate.
func ControlPlaneHost(ns string) string { return ControlPlaneService + "." + ns + ".svc" }

// ControlPlaneAddr is weftd's secure address (CA and ADS) for proxies.
func ControlPlaneAddr(ns string) string {
	return ControlPlaneHost(ns) + ":" + strconv.Itoa(PortSecure)
}

// ControlPlaneSANs are the DNS names in weftd's serving certificate: its
// Service and istiod's, in every form a client in the cluster may use.
func ControlPlaneSANs(ns string) []string {
	var names []string
	for _, svc := range []string{ControlPlaneService, IstiodAlias} {
		names = append(names, svc+"."+ns+".svc", svc+"."+ns+".svc.cluster.local", svc+"."+ns, svc)
	}
	return names
}

// WebhookHost is the webhook Service's name, in weftd's webhook certificate.
func WebhookHost(ns string) string { return WebhookService + "." + ns + ".svc" }

// Names inside a proxy's config shared by the bootstrap, SDS and weftd's
// generated listeners and clusters.
const (
	XDSCluster           = "xds-grpc" // bootstrap cluster reaching weftd
	SDSCluster           = "sds-grpc" // bootstrap cluster reaching weft-agent's SDS
	SecretWorkload       = "default"  // SDS: workload certificate and key
	SecretRootCA         = "ROOTCA"   // SDS: mesh root bundle
	CertProviderInstance = "default"  // proxyless: certificate provider instance
	// ServerListenerTemplate is Istio's inbound listener name for proxyless servers.
	ServerListenerTemplate = "xds.istio.io/grpc/lds/inbound/%s"
)

// Node metadata keys weftd reads (Istio's).
const (
	MetaNamespace      = "NAMESPACE"
	MetaServiceAccount = "SERVICE_ACCOUNT"
	MetaLabels         = "LABELS"
	MetaInstanceIPs    = "INSTANCE_IPS"
	MetaPodName        = "POD_NAME"
	MetaGenerator      = "GENERATOR"
	MetaCertProviders  = "CERT_PROVIDERS"
	// GeneratorGRPC marks a proxyless gRPC client.
	GeneratorGRPC = "grpc"
)

// Environment variables the injector sets and weft-agent reads.
const (
	EnvPodName        = "POD_NAME"
	EnvPodNamespace   = "POD_NAMESPACE"
	EnvInstanceIP     = "INSTANCE_IP"
	EnvServiceAccount = "SERVICE_ACCOUNT"
	EnvAppProbers     = "ISTIO_KUBE_APP_PROBERS"
)

// Paths inside the sidecar (injected volumes and weft-agent's defaults).
const (
	TokenDir       = "/var/run/secrets/tokens"
	TokenFile      = "istio-token"
	TokenPath      = TokenDir + "/" + TokenFile
	RootCertDir    = "/var/run/secrets/istio"
	RootCertPath   = RootCertDir + "/" + RootCertKey
	EnvoyDir       = "/etc/istio/proxy"
	EnvoyBootstrap = EnvoyDir + "/envoy-rev.json"
	SDSSocketDir   = "/var/run/secrets/workload-spiffe-uds"
	SDSSocket      = SDSSocketDir + "/socket"
	PodInfoDir     = "/etc/istio/pod"
	LabelsFile     = PodInfoDir + "/labels"
)

// weft-agent's `proxy` flags the injector passes.
const (
	AgentFlagMode     = "--mode"
	AgentFlagCAAddr   = "--ca-addr"
	AgentFlagXDSAddr  = "--xds-addr"
	AgentFlagLogLevel = "--log-level"
	AgentModeEnvoy    = "envoy"
)

// LoopbackAddr is 127.0.0.1:port, the default bind of unauthenticated ports.
func LoopbackAddr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// AllAddr is :port, for ports weftd serves to the cluster.
func AllAddr(port int) string { return fmt.Sprintf(":%d", port) }

// ---------------------------------------------------------------------------
// Added while adopting the contract in the injector, agent and chart (kept
// apart from the block above to ease merging).

// PortHealth is weftd's /ready and /healthz, the only paths on --health-addr,
// so kubelet probes reach weftd without exposing the debug port.
const PortHealth = 8080

// Names of the containers the injector adds. istio-init and istio-proxy are
// Istio's, so `kubectl logs -c istio-proxy` and Istio tooling keep working.
const (
	InitContainer  = "istio-init"
	AgentContainer = "weft-agent"
	ProxyContainer = "istio-proxy"
)

// Volumes the injector adds, mounted at the paths above.
const (
	VolumeToken    = "istio-token"    // projected token at TokenDir
	VolumeRootCert = "istiod-ca-cert" // RootCertConfigMap at RootCertDir
	VolumeEnvoy    = "istio-envoy"    // EnvoyDir: bootstrap from weft-agent
	VolumeSDS      = "workload-socket"
	VolumePodInfo  = "istio-podinfo" // downward-API labels at LabelsFile
	// LabelsFileKey is the labels file's name inside PodInfoDir.
	LabelsFileKey = "labels"
)

// AgentAdminAddr is Envoy's admin listener as weft-agent writes it into the
// bootstrap: loopback, never reachable from outside the pod.
var AgentAdminAddr = LoopbackAddr(PortEnvoyAdmin)

// AgentStatusAddr is weft-agent's status listener (kubelet probes it).
var AgentStatusAddr = AllAddr(PortAgentStatus)

// ExcludeInboundPorts are the sidecar's own ports, never redirected inbound,
// so kubelet and Prometheus reach the agent and Envoy directly.
var ExcludeInboundPorts = []int{PortAgentStatus, PortReadiness, PortPrometheus}

// JoinPorts formats ports as iptables flags take them: "15020,15021,15090".
func JoinPorts(ports []int) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	return strings.Join(s, ",")
}

// weftd's flags the chart passes and tests check (the lead's cmd/weftd owns
// their definitions; these names must match).
const (
	WeftdFlagSecureAddr  = "--secure-addr"
	WeftdFlagHealthAddr  = "--health-addr"
	WeftdFlagXDSAddr     = "--xds-addr"
	WeftdFlagDebugAddr   = "--debug-addr"
	WeftdFlagWebhookAddr = "--webhook-addr"
)
