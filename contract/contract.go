// Package contract is the one owner of what weftd, weft-agent, the injector
// and the Helm chart must agree on: ports, Service names, the control
// plane's address and certificate names, SDS names, node metadata keys,
// environment variables, paths inside the sidecar and weft-agent's flags.
// contract_test.go (and manifests' tests) check every side against it.
package contract

import (
	"fmt"
	"strconv"
)

// Ports (Istio's numbers, so Istio tooling and habits carry over).
const (
	PortEnvoyAdmin   = 15000 // Envoy admin, loopback only
	PortOutbound     = 15001 // iptables redirects outbound TCP here
	PortInbound      = 15006 // iptables redirects inbound TCP here
	PortXDSPlaintext = 15010 // weftd: plaintext ADS, loopback by default
	PortSecure       = 15012 // weftd: CA and ADS over mutual TLS
	PortDebug        = 15014 // weftd: /debug/*, /metrics, /ready; loopback by default
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

// PortHealth is weftd's /ready and /healthz (istiod's 8080): the kubelet
// probes it, and it reveals nothing about proxies or config.
const PortHealth = 8080
