package analysis

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/pilot/config"
)

// serviceOf returns the Kubernetes Service behind host (as seen from ns),
// or nil for ServiceEntry hosts and unknown hosts.
func (c *Context) serviceOf(host, ns string) *corev1.Service {
	svc := c.hosts[config.ResolveHost(host, ns)]
	if svc == nil {
		return nil
	}
	for _, s := range c.Snap.Services {
		if s.Namespace == svc.Namespace && s.Name == svc.Name {
			return s
		}
	}
	return nil
}

// podsMatching counts pods in ns whose labels include every one of sel.
func (c *Context) podsMatching(ns string, sel map[string]string) int {
	n := 0
	for _, p := range c.Snap.Pods {
		if p.Namespace == ns && labels.SelectorFromSet(sel).Matches(labels.Set(p.Labels)) {
			n++
		}
	}
	return n
}

// analyzeSubsetPods reports subsets whose labels select no pod of their
// Service (WFT0103): traffic routed there has nowhere to go. Without any
// Pod in the input (files with routing config only) nothing can be said.
func analyzeSubsetPods(c *Context) {
	if len(c.Snap.Pods) == 0 {
		return
	}
	for _, dr := range c.Snap.DestinationRules {
		svc := c.serviceOf(dr.Spec.GetHost(), dr.Namespace)
		if svc == nil || len(svc.Spec.Selector) == 0 {
			continue
		}
		for i, ss := range dr.Spec.GetSubsets() {
			sel := labels.Merge(svc.Spec.Selector, ss.GetLabels())
			if c.podsMatching(svc.Namespace, sel) == 0 {
				c.report(CodeSubsetNoPods, config.KeyOf(dr), fmt.Sprintf("spec.subsets[%d].labels", i),
					"subset %s selects no pod of Service %s/%s (labels %s)", ss.GetName(), svc.Namespace, svc.Name, labels.Set(sel))
			}
		}
	}
}

// analyzePortNames reports Service ports whose protocol weft cannot tell
// (IST0118): no appProtocol and no protocol prefix in the name, so they
// are treated as plain TCP. ExternalName Services get IST0150 instead, as
// in Istio, which also counts a port named just "tcp" there.
func analyzePortNames(c *Context) {
	for _, s := range c.Snap.Services {
		if systemNamespaces[s.Namespace] || (s.Namespace == "default" && s.Name == "kubernetes") {
			continue
		}
		for i, p := range s.Spec.Ports {
			named := (p.AppProtocol != nil && *p.AppProtocol != "") || hasProtocolPrefix(p.Name)
			field := fmt.Sprintf("spec.ports[%d].name", i)
			switch {
			case s.Spec.Type == corev1.ServiceTypeExternalName && (!named || p.Name == "tcp"):
				// Istio's condition: for an ExternalName Service a plain
				// "tcp" port is as bad as an unnamed one.
				c.report(CodeExternalNamePortName, config.KeyOf(s), field,
					"port %d name %q of an ExternalName Service: the proxy may not forward TCP to it; name it for its protocol (http, https, tls, ...) or set appProtocol", p.Port, p.Name)
			case !named:
				c.report(CodePortNameNoProtocol, config.KeyOf(s), field,
					"port %d name %q does not say its protocol: name it <protocol>[-suffix] (http, http2, https, grpc, grpc-web, tcp, tls, udp, ...) or set appProtocol; treated as TCP", p.Port, p.Name)
			}
		}
	}
}

var portProtocols = []string{"grpc-web", "grpc", "http2", "https", "http", "tcp", "tls", "udp", "mongo", "mysql", "redis"}

func hasProtocolPrefix(name string) bool {
	for _, p := range portProtocols {
		if name == p || (len(name) > len(p) && name[:len(p)+1] == p+"-") {
			return true
		}
	}
	return false
}

// systemNamespaces hold Kubernetes' own workloads, which are not meshed.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true, "istio-system": true, contract.DefaultNamespace: true}

// forEachTLS visits every client TLS setting of dr with its field path.
func forEachTLS(dr *networkingv1.DestinationRule, fn func(string, *networking.ClientTLSSettings)) {
	visit := func(prefix string, tp *networking.TrafficPolicy) {
		if tls := tp.GetTls(); tls != nil {
			fn(prefix+".tls", tls)
		}
		for i, pl := range tp.GetPortLevelSettings() {
			if tls := pl.GetTls(); tls != nil {
				fn(fmt.Sprintf("%s.portLevelSettings[%d].tls", prefix, i), tls)
			}
		}
	}
	visit("spec.trafficPolicy", dr.Spec.GetTrafficPolicy())
	for i, ss := range dr.Spec.GetSubsets() {
		visit(fmt.Sprintf("spec.subsets[%d].trafficPolicy", i), ss.GetTrafficPolicy())
	}
}
