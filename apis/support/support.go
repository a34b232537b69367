// Package support is weft's table of which Istio API fields it acts on, per
// kind, per field path of the spec and per proxy kind (Envoy sidecars,
// proxyless gRPC, Envoy gateways). Tests tie the table to the istio.io/api
// messages, so a field Istio adds cannot go unrated; docs/support.md is
// generated from it.
package support

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	extensionsv1alpha1 "istio.io/api/extensions/v1alpha1"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1beta1 "istio.io/api/networking/v1beta1"
	securityv1beta1 "istio.io/api/security/v1beta1"
	telemetryv1alpha1 "istio.io/api/telemetry/v1alpha1"
)

// ProxyKind is the kind of proxy that receives weft's configuration.
type ProxyKind string

// The proxy kinds the table rates each field for.
const (
	Sidecar   ProxyKind = "sidecar"
	Proxyless ProxyKind = "proxyless"
	Gateway   ProxyKind = "gateway"
)

// ProxyKinds lists the proxy kinds in table column order.
var ProxyKinds = []ProxyKind{Sidecar, Proxyless, Gateway}

// Level says how far weft honours a field for one proxy kind. The zero
// value is not a level, so a table entry that forgets a column is caught.
type Level int

// Levels, from best to worst.
const (
	Supported Level = iota + 1
	Partial
	Unsupported
)

func (l Level) String() string {
	switch l {
	case Supported:
		return "supported"
	case Partial:
		return "partial"
	case Unsupported:
		return "unsupported"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Entry rates one field (or a whole kind) per proxy kind; Note says what
// differs from Istio when any column is not Supported.
type Entry struct {
	Sidecar, Proxyless, Gateway Level
	Note                        string
}

// For returns the entry's level for p; an unknown proxy kind is Unsupported.
func (e Entry) For(p ProxyKind) Level {
	switch p {
	case Sidecar:
		return e.Sidecar
	case Proxyless:
		return e.Proxyless
	case Gateway:
		return e.Gateway
	}
	return Unsupported
}

// supportedByAll reports whether no column needs a finding.
func (e Entry) supportedByAll() bool {
	return e.Sidecar == Supported && e.Proxyless == Supported && e.Gateway == Supported
}

// kindInfo ties a kind to its spec message and its table.
type kindInfo struct {
	group string
	spec  func() proto.Message
	rows  []row
}

func (k kindInfo) specName() protoreflect.FullName {
	return k.spec().ProtoReflect().Descriptor().FullName()
}

// indexes holds each kind's rows by key.
var indexes = func() map[string]*index {
	out := make(map[string]*index, len(kinds))
	for name, k := range kinds {
		out[name] = newIndex(k.rows)
	}
	return out
}()

// kinds holds every Istio kind the table covers, by Kubernetes kind name.
var kinds = map[string]kindInfo{
	"VirtualService":        {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.VirtualService{} }, virtualServiceRows},
	"DestinationRule":       {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.DestinationRule{} }, destinationRuleRows},
	"Gateway":               {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.Gateway{} }, wholeKind(gatewayNote)},
	"ServiceEntry":          {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.ServiceEntry{} }, serviceEntryRows},
	"WorkloadEntry":         {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.WorkloadEntry{} }, workloadEntryRows},
	"WorkloadGroup":         {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.WorkloadGroup{} }, wholeKind(notByWeft)},
	"Sidecar":               {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.Sidecar{} }, sidecarRows},
	"EnvoyFilter":           {"networking.istio.io", func() proto.Message { return &networkingv1alpha3.EnvoyFilter{} }, wholeKind(notByWeft)},
	"ProxyConfig":           {"networking.istio.io", func() proto.Message { return &networkingv1beta1.ProxyConfig{} }, wholeKind(notByWeft)},
	"PeerAuthentication":    {"security.istio.io", func() proto.Message { return &securityv1beta1.PeerAuthentication{} }, peerAuthenticationRows},
	"AuthorizationPolicy":   {"security.istio.io", func() proto.Message { return &securityv1beta1.AuthorizationPolicy{} }, wholeKind(notEnforced)},
	"RequestAuthentication": {"security.istio.io", func() proto.Message { return &securityv1beta1.RequestAuthentication{} }, wholeKind(notEnforced)},
	"Telemetry":             {"telemetry.istio.io", func() proto.Message { return &telemetryv1alpha1.Telemetry{} }, wholeKind(notByWeft)},
	"WasmPlugin":            {"extensions.istio.io", func() proto.Message { return &extensionsv1alpha1.WasmPlugin{} }, wholeKind(notByWeft)},
	"TrafficExtension":      {"extensions.istio.io", func() proto.Message { return &extensionsv1alpha1.TrafficExtension{} }, wholeKind(notByWeft)},
}

// Kinds lists the kinds in the table, in documentation order.
func Kinds() []string {
	return []string{
		"VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "WorkloadEntry", "WorkloadGroup",
		"Sidecar", "EnvoyFilter", "ProxyConfig", "PeerAuthentication", "AuthorizationPolicy",
		"RequestAuthentication", "Telemetry", "WasmPlugin", "TrafficExtension",
	}
}

// Group returns the API group of kind ("" when unknown).
func Group(kind string) string { return kinds[kind].group }

// SpecMessage returns a new empty spec message for kind, nil if unknown.
func SpecMessage(kind string) proto.Message {
	k, ok := kinds[kind]
	if !ok {
		return nil
	}
	return k.spec()
}

// KindSupport returns the verdict on kind as a whole; ok is false for
// kinds not in the table.
func KindSupport(kind string) (Entry, bool) {
	ix, ok := indexes[kind]
	if !ok {
		return Entry{}, false
	}
	r, ok := ix.exact[""]
	return r.entry, ok
}
