package analysis

import (
	"strings"

	"github.com/weftmesh/weft/pilot/mesh"
)

// Codes are stable: tools and -S suppressions refer to them, so a code is
// never reused for a different problem.
//
// Where weft checks the same condition as one of Istio's analyzers, the
// message carries Istio's IST code, name and level, so suppressions and CI
// rules written for istioctl analyze work unchanged. Checks Istio does not
// have keep WFT codes. docs/design/analyzer-codes.md maps every IST code.
// Two constants may share an IST code (missing host and missing subset are
// both IST0101 ReferencedResourceNotFound, as in Istio); their messages
// differ, and a suppression names the code, so it silences both.
//
// Retired codes, reserved (never reuse the number); `-S OLD[=RESOURCE]` is
// still accepted and suppresses what OLD used to cover (see retiredCodes):
//
//   - WFT0002 InvalidValue: now IST0106 SchemaValidationError.
//   - WFT0101 ReferencedHostNotFound: split three ways. A route or mirror
//     destination host is IST0101; a DestinationRule spec.host is IST0174
//     UnknownDestinationRuleHost (a Warning, as in Istio); a VirtualService
//     spec.hosts entry, which Istio does not check, is WFT0113.
//   - WFT0102 SubsetNotFound: now IST0101 ReferencedResourceNotFound.
//   - WFT0103 SubsetSelectsNoPods: now IST0173
//     DestinationRuleSubsetNotSelectPods (an Error, as in Istio).
//   - WFT0104 ConflictingResources: split. VirtualServices bound to the
//     mesh claiming one host are IST0109; PeerAuthentications claiming one
//     namespace, which Istio does not check, are WFT0114.
//   - WFT0105 UnreachableRule: now IST0130 VirtualServiceUnreachableRule.
//   - WFT0106 WeightsNotSummingTo100: weft used to require a route's
//     weights to sum to 100. Istio does not (a destination receives
//     weight/sum of the weights), so the rule is gone and nothing reports
//     WFT0106; all-zero and negative weights are invalid values (IST0106).
//     `-S WFT0106` is still accepted and matches nothing.
//   - WFT0108 NamespaceNotInjected: now IST0102 (same name).
//   - WFT0109 PodWithoutProxy: now IST0103 PodMissingProxy.
//   - WFT0110 PortNameWithoutProtocol: now IST0118
//     PortNameIsNotUnderNamingConvention.
//   - WFT0111 UnknownAnnotation: now IST0108 (same name).
const (
	CodeSchema               = "WFT0001" // document does not decode (syntax, unknown field, wrong type)
	CodeInvalid              = "IST0106" // a field value is invalid (was WFT0002)
	CodeDuplicate            = "WFT0003" // the same resource defined twice
	CodeHostNotFound         = "IST0101" // a destination host (was WFT0101)
	CodeSubsetNotFound       = "IST0101" // a destination subset (was WFT0102)
	CodeUnknownDRHost        = "IST0174" // a DestinationRule spec.host (was WFT0101)
	CodeVSHostNotFound       = "WFT0113" // a VirtualService spec.hosts entry (was WFT0101)
	CodeSubsetNoPods         = "IST0173" // was WFT0103
	CodeConflictingVS        = "IST0109" // was WFT0104
	CodeConflictingPeerAuthn = "WFT0114" // was WFT0104
	CodeUnreachableRule      = "IST0130" // was WFT0105
	CodeMTLSConflict         = "WFT0107"
	CodeNamespaceNotInjected = "IST0102" // was WFT0108
	CodePodWithoutProxy      = "IST0103" // was WFT0109
	CodePortNameNoProtocol   = "IST0118" // was WFT0110
	CodeUnknownAnnotation    = "IST0108" // was WFT0111
	CodeUnsupportedField     = "WFT0112"
	CodeUnsupportedKind      = "WFT0115"
	CodeUnknownIstioKind     = "WFT0116"
	CodeForeignSchema        = "WFT0117"
	CodeInvalidEnvoyConfig   = "WFT0118"
	CodeDelegateConflict     = "WFT0119"
)

// Codes of Istio analyzers weft added later (docs/design/analyzer-codes.md
// gives each one's condition).
const (
	CodeDeprecated              = "IST0002"
	CodeMisplacedAnnotation     = "IST0107"
	CodeDestPortRequired        = "IST0112"
	CodeMultipleInjectionLabels = "IST0123"
	CodeNoCertVerifyDR          = "IST0128"
	CodeNoCertVerifyPort        = "IST0129"
	CodeSEAddressesRequired     = "IST0134"
	CodeDeprecatedAnnotation    = "IST0135"
	CodeExternalNamePortName    = "IST0150"
	CodeConflictingSEProtocol   = "IST0177"
)

// Info describes one code for --list-analyzers and the docs.
type CodeInfo struct {
	Code        string
	Severity    Severity
	Name        string
	Description string
}

// Codes lists every code weftctl can report, once each (listings sort them
// by code).
var Codes = []CodeInfo{
	{CodeHostNotFound, Error, "ReferencedResourceNotFound", "a route or mirror names a host no Service or ServiceEntry defines, or a subset no DestinationRule for its host defines, or a rule delegates to a VirtualService that does not exist or is not exported to its namespace"},
	{CodeNamespaceNotInjected, Info, "NamespaceNotInjected", "a namespace with pods is not labelled for injection (istio-injection=enabled or istio.io/rev)"},
	{CodePodWithoutProxy, Warning, "PodMissingProxy", "a pod in an injected namespace has no proxy (label security.istio.io/tlsMode absent)"},
	{CodeInvalid, Error, "SchemaValidationError", "a field value is invalid (semantic validation, as weftd and the webhook apply it)"},
	{CodeUnknownAnnotation, Warning, "UnknownAnnotation", "an annotation in an *.istio.io domain that Istio does not define"},
	{CodeConflictingVS, Error, "ConflictingMeshGatewayVirtualServiceHosts", "several VirtualServices bound to the mesh claim one host; only the oldest is used"},
	{CodePortNameNoProtocol, Info, "PortNameIsNotUnderNamingConvention", "a Service port has neither appProtocol nor a name starting with a protocol (http, grpc, tcp, ...)"},
	{CodeUnreachableRule, Warning, "VirtualServiceUnreachableRule", "an HTTP rule follows a rule that matches every request, so it never applies"},
	{CodeSubsetNoPods, Error, "DestinationRuleSubsetNotSelectPods", "a DestinationRule subset's labels match no pod of the service"},
	{CodeUnknownDRHost, Warning, "UnknownDestinationRuleHost", "a DestinationRule's host is not defined by any Service or ServiceEntry"},
	{CodeSchema, Error, "SchemaError", "a document is not valid YAML/JSON, lacks apiVersion, kind or name, or has an unknown field or a value of the wrong type"},
	{CodeDuplicate, Error, "DuplicateResource", "the same kind/namespace/name is defined more than once"},
	{CodeMTLSConflict, Error, "MTLSConflict", "a PeerAuthentication requires STRICT mTLS while a DestinationRule disables TLS to the same workloads"},
	{CodeUnsupportedField, Warning, "UnsupportedField", "a field weft does not act on for sidecars (docs/support.md); the rest of the resource is used"},
	{CodeUnsupportedKind, Warning, "UnsupportedKind", "an Istio kind weft does not implement (EnvoyFilter, WasmPlugin, ...): validated, but it changes no proxy's configuration"},
	{CodeVSHostNotFound, Error, "VirtualServiceHostNotFound", "a VirtualService's spec.hosts names a host no Service or ServiceEntry defines, so it routes nothing"},
	{CodeConflictingPeerAuthn, Error, "ConflictingPeerAuthentications", "several namespace-wide PeerAuthentications in one namespace; only the oldest is used"},
	{CodeDeprecated, Warning, "Deprecated", "an Istio resource sets a field or enum value istio.io/api marks deprecated, or one Istio ignores (Sidecar egressProxy)"},
	{CodeMisplacedAnnotation, Warning, "MisplacedAnnotation", "a known Istio annotation on a kind it does not apply to"},
	{CodeDestPortRequired, Error, "VirtualServiceDestinationPortSelectorRequired", "a route or mirror destination has no port while its Service or ServiceEntry exposes several"},
	{CodeMultipleInjectionLabels, Warning, "NamespaceMultipleInjectionLabels", "a namespace has more than one of istio-injection, istio.io/rev, istio.io/dataplane-mode"},
	{CodeNoCertVerifyDR, Warning, "NoServerCertificateVerificationDestinationLevel", "a DestinationRule's TLS mode is SIMPLE or MUTUAL without caCertificates: the server is not verified"},
	{CodeNoCertVerifyPort, Warning, "NoServerCertificateVerificationPortLevel", "as IST0128, for one of the DestinationRule's portLevelSettings"},
	{CodeSEAddressesRequired, Warning, "ServiceEntryAddressesRequired", "a ServiceEntry without addresses has a TCP (or protocol-less) port, which then captures all traffic to that port"},
	{CodeDeprecatedAnnotation, Info, "DeprecatedAnnotation", "an Istio annotation that is deprecated"},
	{CodeExternalNamePortName, Warning, "ExternalNameServiceTypeInvalidPortName", "an ExternalName Service port is named tcp or does not say its protocol"},
	{CodeConflictingSEProtocol, Warning, "ConflictingServiceEntryProtocol", "several ServiceEntries define one host and port with different protocols"},
	{CodeUnknownIstioKind, Warning, "UnknownIstioKind", "an istio.io apiVersion whose kind or version weft does not know (a misspelt kind, a version not served): the document is not read"},
	{CodeInvalidEnvoyConfig, Error, "InvalidEnvoyConfig", "a resource would produce configuration Envoy or grpc-go refuses: weftd leaves the whole resource out (Accepted=False), every other resource is served"},
	{CodeDelegateConflict, Warning, "DelegateRuleOutsideRootMatch", "a delegate VirtualService's rule matches outside the match of the rule delegating to it: istiod leaves it out there"},
	{CodeForeignSchema, Warning, "ForeignObjectSchema", "a Kubernetes object weft does not read (Deployment, ConfigMap, another project's CRD) does not match its schema: weft ignores it, the API server would refuse it"},
}

// retiredCodes maps each retired code to the codes that now report what it
// covered (none for WFT0106, whose rule is gone).
var retiredCodes = map[string][]string{
	"WFT0002": {CodeInvalid},
	"WFT0101": {CodeHostNotFound, CodeUnknownDRHost, CodeVSHostNotFound},
	"WFT0102": {CodeSubsetNotFound},
	"WFT0103": {CodeSubsetNoPods},
	"WFT0104": {CodeConflictingVS, CodeConflictingPeerAuthn},
	"WFT0105": {CodeUnreachableRule},
	"WFT0106": nil,
	"WFT0108": {CodeNamespaceNotInjected},
	"WFT0109": {CodePodWithoutProxy},
	"WFT0110": {CodePortNameNoProtocol},
	"WFT0111": {CodeUnknownAnnotation},
}

// SuppressionCodes says what `-S CODE` stands for: the code itself, or for
// a retired code the codes that replaced it. known is false for a code
// weft never had (weftctl warns that it has no effect, as istioctl does).
// "*" stands for every code.
func SuppressionCodes(code string) (codes []string, known bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "*" {
		return []string{code}, true
	}
	if repl, ok := retiredCodes[code]; ok {
		return repl, true
	}
	for _, c := range Codes {
		if c.Code == code {
			return []string{code}, true
		}
	}
	return []string{code}, false
}

// ParseSuppressions parses one -S value like ParseSuppression, expanding a
// retired code into one suppression per code that replaced it, so an old
// `-S WFT0105=VirtualService shop/*` keeps silencing the same messages
// (now IST0130). known is false when the code is not one weft has or had.
func ParseSuppressions(s string) (sups []Suppression, known bool, err error) {
	sup, err := ParseSuppression(s)
	if err != nil {
		return nil, false, err
	}
	codes, known := SuppressionCodes(sup.Code)
	if len(codes) == 1 && codes[0] == strings.ToUpper(sup.Code) {
		return []Suppression{sup}, known, nil
	}
	_, res, _ := strings.Cut(s, "=")
	for _, code := range codes {
		alias, err := ParseSuppression(code + "=" + res)
		if err != nil {
			return nil, false, err
		}
		sups = append(sups, alias)
	}
	if len(sups) == 0 {
		sups = []Suppression{sup} // WFT0106: matches nothing, as before
	}
	return sups, known, nil
}

// hostCode is the code for a host that no Service or ServiceEntry defines,
// by the kind that names it.
func hostCode(kind string) string {
	if kind == "DestinationRule" {
		return CodeUnknownDRHost
	}
	return CodeHostNotFound
}

// diagnosticCode maps translate's diagnostics onto analyzer codes, so
// analyze reports exactly what weftd would write into status conditions.
// Translate reports unknown hosts only for VirtualService spec.hosts.
func diagnosticCode(reason, kind string) (string, bool) {
	switch reason {
	case mesh.ReasonUnknownHost:
		return CodeVSHostNotFound, true
	case mesh.ReasonReferenceNotFound:
		return CodeHostNotFound, true // IST0101: a delegate VirtualService
	case mesh.ReasonDelegateConflict:
		return CodeDelegateConflict, true
	case mesh.ReasonConflict:
		if kind == "PeerAuthentication" {
			return CodeConflictingPeerAuthn, true
		}
		return CodeConflictingVS, true
	case mesh.ReasonUnsupportedField:
		return CodeUnsupportedField, true
	case mesh.ReasonInvalidEnvoyConfig:
		return CodeInvalidEnvoyConfig, true
	}
	return "", false
}

// severityOf returns the default severity of code.
func severityOf(code string) Severity {
	for _, c := range Codes {
		if c.Code == code {
			return c.Severity
		}
	}
	return Error
}
