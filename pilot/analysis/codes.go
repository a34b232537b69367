package analysis

// Codes are stable: tools and -S suppressions refer to them, so a code is
// never reused for a different problem.
//
// Retired codes, reserved (never reuse the number):
//
//   - WFT0106 WeightsNotSummingTo100: weft used to require a route's
//     weights to sum to 100. Istio does not (a destination receives
//     weight/sum of the weights), so the rule is gone and nothing reports
//     WFT0106; all-zero and negative weights are WFT0002 as before.
//     `-S WFT0106` is still accepted and matches nothing.
const (
	CodeSchema               = "WFT0001" // document does not decode (syntax, unknown field, wrong type, unknown kind)
	CodeInvalid              = "WFT0002" // a field value is invalid
	CodeDuplicate            = "WFT0003" // the same resource defined twice
	CodeHostNotFound         = "WFT0101"
	CodeSubsetNotFound       = "WFT0102"
	CodeSubsetNoPods         = "WFT0103"
	CodeConflictingVS        = "WFT0104"
	CodeUnreachableRule      = "WFT0105"
	CodeMTLSConflict         = "WFT0107"
	CodeNamespaceNotInjected = "WFT0108"
	CodePodWithoutProxy      = "WFT0109"
	CodePortNameNoProtocol   = "WFT0110"
	CodeUnknownAnnotation    = "WFT0111"
	CodeUnsupportedField     = "WFT0112"
	CodeUnsupportedKind      = "WFT0115"
)

// Info describes one code for --list-analyzers and the docs.
type CodeInfo struct {
	Code        string
	Severity    Severity
	Name        string
	Description string
}

// Codes lists every code weftctl can report, in code order.
var Codes = []CodeInfo{
	{CodeSchema, Error, "SchemaError", "a document is not valid YAML/JSON, has an unknown kind or version, an unknown field or a value of the wrong type"},
	{CodeInvalid, Error, "InvalidValue", "a field value is invalid (semantic validation, as weftd and the webhook apply it)"},
	{CodeDuplicate, Error, "DuplicateResource", "the same kind/namespace/name is defined more than once"},
	{CodeHostNotFound, Error, "ReferencedHostNotFound", "a VirtualService or DestinationRule names a host no Service or ServiceEntry defines"},
	{CodeSubsetNotFound, Error, "SubsetNotFound", "a route names a subset no DestinationRule for its host defines"},
	{CodeSubsetNoPods, Warning, "SubsetSelectsNoPods", "a DestinationRule subset's labels match no pod of the service"},
	{CodeConflictingVS, Error, "ConflictingResources", "several VirtualServices claim one host (or PeerAuthentications one scope); only the oldest is used"},
	{CodeUnreachableRule, Warning, "UnreachableRule", "an HTTP rule follows a rule that matches every request, so it never applies"},
	{CodeMTLSConflict, Error, "MTLSConflict", "a PeerAuthentication requires STRICT mTLS while a DestinationRule disables TLS to the same workloads"},
	{CodeNamespaceNotInjected, Info, "NamespaceNotInjected", "a namespace with pods is not labelled for injection (istio-injection=enabled or istio.io/rev)"},
	{CodePodWithoutProxy, Warning, "PodWithoutProxy", "a pod in an injected namespace has no proxy (label security.istio.io/tlsMode absent)"},
	{CodePortNameNoProtocol, Info, "PortNameWithoutProtocol", "a Service port has neither appProtocol nor a name starting with a protocol (http, grpc, tcp, ...)"},
	{CodeUnknownAnnotation, Warning, "UnknownAnnotation", "an annotation in an *.istio.io domain that Istio does not define"},
	{CodeUnsupportedField, Warning, "UnsupportedField", "a field weft does not act on for sidecars (docs/support.md); the rest of the resource is used"},
	{CodeUnsupportedKind, Warning, "UnsupportedKind", "an Istio kind weft does not implement (EnvoyFilter, WasmPlugin, ...): validated, but it changes no proxy's configuration"},
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
