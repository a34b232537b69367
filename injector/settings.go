// Package injector adds weft's sidecar (weft-agent + Envoy) and the iptables
// init container to pods. Inject is a pure function shared by the mutating
// webhook (webhook.go) and `weftctl kube-inject`, so both produce byte-for-byte
// the same pod.
//
// Process model: the sidecar is two containers that share emptyDirs:
//   - weft-agent (agent image) runs `weft-agent proxy --mode envoy`: it gets the
//     workload certificate from weftd's CA, serves SDS on a Unix socket and
//     writes the Envoy bootstrap;
//   - istio-proxy (Envoy image) waits (bounded) for that bootstrap and execs
//     Envoy. Keeping Envoy in its upstream image means no custom Envoy build,
//     and the agent image stays small; the container name stays istio-proxy so
//     Istio tooling (`kubectl logs -c istio-proxy`) keeps working.
//
// With native sidecars (Kubernetes ≥ 1.29) both are init containers with
// restartPolicy Always, after istio-init; otherwise they are the first regular
// containers.
package injector

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/weftmesh/weft/contract"
)

// Ports and identities shared with weft-agent and weftd; package contract
// owns them, these names stay for the injector's callers.
const (
	ProxyUID        = contract.ProxyUID
	OutboundPort    = contract.PortOutbound
	InboundPort     = contract.PortInbound
	AgentHealthPort = contract.PortAgentStatus
	ReadinessPort   = contract.PortReadiness
	PrometheusPort  = contract.PortPrometheus
)

// Container names (package contract's).
const (
	InitContainerName  = contract.InitContainer
	AgentContainerName = contract.AgentContainer
	ProxyContainerName = contract.ProxyContainer
)

// Settings is what the operator configures once per weftd (or per
// kube-inject run); everything per pod comes from the pod's annotations.
type Settings struct {
	AgentImage string // e.g. ghcr.io/weftmesh/weft-agent:v0.1.0
	ProxyImage string // e.g. envoyproxy/envoy:v1.36.0
	CAAddr     string // weftd's CA, e.g. weftd.weft-system.svc:15012
	XDSAddr    string // weftd's ADS, written into the Envoy bootstrap
	// Revision selects which weftd injects (namespace label istio.io/rev);
	// "" is the default revision, selected by istio-injection=enabled.
	Revision string
	// NativeSidecars: the cluster supports restartPolicy Always on init
	// containers (SidecarContainers, GA in 1.33, beta on by default in 1.29).
	NativeSidecars bool
	// Defaults when the pod has no proxy resource / log level annotations.
	ProxyCPU, ProxyMemory, ProxyCPULimit, ProxyMemoryLimit string
	LogLevel                                               string
	// HoldApplicationUntilProxyStarts is the mesh-wide default.
	HoldApplicationUntilProxyStarts bool
}

// DefaultSettings are Istio's defaults with weft's images, pointing proxies
// at weftd installed in contract.DefaultNamespace.
func DefaultSettings() Settings { return DefaultSettingsFor(contract.DefaultNamespace) }

// DefaultSettingsFor is DefaultSettings for a weftd running in namespace ns:
// proxies reach its CA and ADS at contract.ControlPlaneAddr(ns). weftd's
// webhook uses it, so the contract test injects exactly what weftd would.
func DefaultSettingsFor(ns string) Settings {
	return Settings{
		AgentImage:  "ghcr.io/weftmesh/weft-agent:latest",
		ProxyImage:  "envoyproxy/envoy:v1.36.0",
		CAAddr:      contract.ControlPlaneAddr(ns),
		XDSAddr:     contract.ControlPlaneAddr(ns),
		ProxyCPU:    "100m",
		ProxyMemory: "128Mi",
		LogLevel:    "warning",
	}
}

// Validate reports settings that would produce broken pods, so weftd and
// kube-inject fail at start rather than per pod.
func (s Settings) Validate() error {
	if s.AgentImage == "" || s.ProxyImage == "" {
		return fmt.Errorf("injector settings: agent and proxy images are required")
	}
	for name, v := range map[string]string{"ProxyCPU": s.ProxyCPU, "ProxyMemory": s.ProxyMemory,
		"ProxyCPULimit": s.ProxyCPULimit, "ProxyMemoryLimit": s.ProxyMemoryLimit} {
		if v == "" {
			continue
		}
		if _, err := resource.ParseQuantity(v); err != nil {
			return fmt.Errorf("injector settings: %s %q: %w", name, v, err)
		}
	}
	if s.LogLevel != "" && !validLogLevels[s.LogLevel] {
		return fmt.Errorf("injector settings: log level %q: want one of %s", s.LogLevel, logLevelList)
	}
	return nil
}
