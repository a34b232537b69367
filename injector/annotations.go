package injector

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"istio.io/api/annotation"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// Istio's annotation names, from istio.io/api (the source), honoured unchanged.
var (
	AnnInject        = annotation.SidecarInject.Name // label (wins) or legacy annotation
	AnnStatus        = annotation.SidecarStatus.Name // set on injection; marks a pod as injected
	AnnProxyConfig   = annotation.ProxyConfig.Name
	AnnProxyCPU      = annotation.SidecarProxyCPU.Name
	AnnProxyMemory   = annotation.SidecarProxyMemory.Name
	AnnProxyCPULim   = annotation.SidecarProxyCPULimit.Name
	AnnProxyMemLim   = annotation.SidecarProxyMemoryLimit.Name
	AnnLogLevel      = annotation.SidecarLogLevel.Name
	AnnRewriteProbes = annotation.SidecarRewriteAppHTTPProbers.Name
	AnnIncludeOutIPs = annotation.SidecarTrafficIncludeOutboundIPRanges.Name
	AnnExcludeOutIPs = annotation.SidecarTrafficExcludeOutboundIPRanges.Name
	AnnExcludeOutPts = annotation.SidecarTrafficExcludeOutboundPorts.Name
	AnnIncludeInPts  = annotation.SidecarTrafficIncludeInboundPorts.Name
	AnnExcludeInPts  = annotation.SidecarTrafficExcludeInboundPorts.Name
)

// AnnHold is not one of istio.io/api's annotations (Istio sets it through
// proxy.istio.io/config holdApplicationUntilProxyStarts); weft also reads
// the short form older Istio docs used.
const AnnHold = "sidecar.istio.io/holdApplicationUntilProxyStarts"

var validLogLevels = map[string]bool{"trace": true, "debug": true, "info": true, "warning": true,
	"warn": true, "error": true, "critical": true, "off": true}

const logLevelList = "trace, debug, info, warning, warn, error, critical, off"

// podOptions is everything the annotations decide, parsed and validated
// before the pod is touched, so an invalid value never half-injects.
type podOptions struct {
	resources       corev1.ResourceRequirements
	logLevel        string
	hold            bool
	rewriteProbes   bool
	includeOutCIDRs string // "*" or CIDR list
	excludeOutCIDRs string
	excludeOutPorts string
	includeInPorts  string // "*" or port list
	excludeInPorts  string
	probers         string // JSON of the original app probes (ISTIO_KUBE_APP_PROBERS)
}

// AnnotationError names the annotation and the value; the webhook denies
// the request with its message.
type AnnotationError struct {
	Annotation, Value, Reason string
}

func (e *AnnotationError) Error() string {
	return fmt.Sprintf("invalid annotation %s=%q: %s", e.Annotation, e.Value, e.Reason)
}

type parser struct {
	ann  map[string]string
	errs []error
}

func (p *parser) fail(name, reason string) {
	p.errs = append(p.errs, &AnnotationError{Annotation: name, Value: p.ann[name], Reason: reason})
}

// parseOptions validates every annotation weft honours and returns all
// problems at once (joined), sorted by annotation name for stable messages.
func parseOptions(pod *corev1.Pod, s Settings) (podOptions, error) {
	p := &parser{ann: pod.Annotations}
	o := podOptions{logLevel: s.LogLevel, hold: s.HoldApplicationUntilProxyStarts, rewriteProbes: true,
		includeOutCIDRs: "*", includeInPorts: "*"}
	p.boolean(AnnInject, nil)
	o.hold = p.proxyConfigHold(o.hold)
	p.boolean(AnnHold, &o.hold)
	p.boolean(AnnRewriteProbes, &o.rewriteProbes)
	o.resources = p.resources(s)
	if v, ok := p.ann[AnnLogLevel]; ok {
		if !validLogLevels[v] {
			p.fail(AnnLogLevel, "want one of "+logLevelList)
		}
		o.logLevel = v
	}
	o.includeOutCIDRs = p.cidrs(AnnIncludeOutIPs, true, o.includeOutCIDRs)
	o.excludeOutCIDRs = p.cidrs(AnnExcludeOutIPs, false, "")
	o.excludeOutPorts = p.ports(AnnExcludeOutPts, false, "")
	o.includeInPorts = p.ports(AnnIncludeInPts, true, o.includeInPorts)
	o.excludeInPorts = p.ports(AnnExcludeInPts, false, "")
	sort.SliceStable(p.errs, func(i, j int) bool {
		return p.errs[i].(*AnnotationError).Annotation < p.errs[j].(*AnnotationError).Annotation
	})
	return o, errors.Join(p.errs...)
}

func (p *parser) boolean(name string, dst *bool) {
	v, ok := p.ann[name]
	if !ok {
		return
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "want true or false")
		return
	}
	if dst != nil {
		*dst = b
	}
}

// proxyConfigHold reads holdApplicationUntilProxyStarts from Istio's
// ProxyConfig annotation. Other ProxyConfig fields are accepted and ignored
// (weftd configures them mesh-wide), but the value must be a YAML mapping.
func (p *parser) proxyConfigHold(def bool) bool {
	v, ok := p.ann[AnnProxyConfig]
	if !ok {
		return def
	}
	var pc map[string]any
	if err := yaml.Unmarshal([]byte(v), &pc); err != nil {
		p.fail(AnnProxyConfig, "not a YAML mapping: "+err.Error())
		return def
	}
	h, ok := pc["holdApplicationUntilProxyStarts"]
	if !ok {
		return def
	}
	b, isBool := h.(bool)
	if !isBool {
		p.fail(AnnProxyConfig, fmt.Sprintf("holdApplicationUntilProxyStarts: want true or false, got %v", h))
		return def
	}
	return b
}

func (p *parser) resources(s Settings) corev1.ResourceRequirements {
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	p.quantity(AnnProxyCPU, s.ProxyCPU, corev1.ResourceCPU, r.Requests)
	p.quantity(AnnProxyMemory, s.ProxyMemory, corev1.ResourceMemory, r.Requests)
	p.quantity(AnnProxyCPULim, s.ProxyCPULimit, corev1.ResourceCPU, r.Limits)
	p.quantity(AnnProxyMemLim, s.ProxyMemoryLimit, corev1.ResourceMemory, r.Limits)
	for name, lim := range r.Limits {
		if req, ok := r.Requests[name]; ok && req.Cmp(lim) > 0 {
			ann := map[corev1.ResourceName]string{corev1.ResourceCPU: AnnProxyCPULim, corev1.ResourceMemory: AnnProxyMemLim}[name]
			p.fail(ann, fmt.Sprintf("limit is below the request %s", req.String()))
		}
	}
	if len(r.Limits) == 0 {
		r.Limits = nil
	}
	if len(r.Requests) == 0 {
		r.Requests = nil
	}
	return r
}

func (p *parser) quantity(name, def string, res corev1.ResourceName, into corev1.ResourceList) {
	v, ok := p.ann[name]
	if !ok {
		v = def
	}
	if v == "" {
		return
	}
	q, err := resource.ParseQuantity(v)
	if err != nil {
		p.fail(name, "not a Kubernetes quantity (e.g. 100m, 128Mi)")
		return
	}
	if q.Sign() <= 0 {
		p.fail(name, "must be positive")
		return
	}
	into[res] = q
}

// cidrs validates a comma-separated CIDR list ("*" allowed where Istio
// allows it) and returns it normalised (no spaces).
func (p *parser) cidrs(name string, star bool, def string) string {
	v, ok := p.ann[name]
	if !ok {
		return def
	}
	v = strings.TrimSpace(v)
	if v == "*" && star {
		return v
	}
	var out []string
	for _, f := range splitList(v) {
		pfx, err := netip.ParsePrefix(f)
		if err != nil {
			p.fail(name, fmt.Sprintf("%q is not a CIDR (e.g. 10.0.0.0/8)", f))
			return def
		}
		out = append(out, pfx.Masked().String())
	}
	return strings.Join(out, ",")
}

// ports validates a comma-separated port list (1-65535).
func (p *parser) ports(name string, star bool, def string) string {
	v, ok := p.ann[name]
	if !ok {
		return def
	}
	v = strings.TrimSpace(v)
	if v == "*" && star {
		return v
	}
	var out []string
	for _, f := range splitList(v) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 65535 {
			p.fail(name, fmt.Sprintf("%q is not a port (1-65535)", f))
			return def
		}
		out = append(out, strconv.Itoa(n))
	}
	return strings.Join(out, ",")
}

func splitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
