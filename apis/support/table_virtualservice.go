package support

// Notes shared by VirtualService rows.
const (
	noHeaderEdits = "proxyless: grpc-go ignores header edits"
	noRedirect    = "proxyless: grpc-go fails RPCs that match a redirect or direct-response rule"
	noRewrite     = "proxyless: grpc-go ignores rewrites"
	noMirror      = "proxyless: grpc-go does not mirror"
	noCors        = "proxyless: dropped, grpc-go has no CORS filter"
	noQuery       = "proxyless: dropped, gRPC requests carry no query string"
	noPseudo      = "proxyless: grpc-go matches RPC metadata, which has no :method, :authority or :scheme, so the match never holds"
	noTCPRules    = "proxyless: gRPC traffic is HTTP/2, tcp rules do not apply"
)

// virtualServiceRows rates VirtualService (pilot/translate/virtualservice.go,
// httproute.go and actions.go, pilot/xds/build/route.go, match.go and
// policy.go, pilot/xds/envoy/listeners.go).
var virtualServiceRows = concat(
	[]row{
		{key: "", entry: mesh(yes, yes, "rules for sidecars and proxyless clients (gateways empty or \"mesh\")")},
		{key: "hosts[]", entry: both()},
		{key: "gateways[]", entry: mesh(part, part, "only \"mesh\": a VirtualService bound to other gateways only is ignored (translate warns)")},
		{key: "http[]", entry: both()},
		{key: "http[].name", entry: both()},
	},
	httpMatchRows("http[].match[]"),
	[]row{
		{key: "http[].route[]", entry: both()},
		{key: "http[].route[].weight", entry: both()},
	},
	destinationRows("http[].route[].destination", both()),
	headersRows("http[].route[].headers"),
	redirectRows("http[].redirect"),
	directResponseRows("http[].directResponse"),
	[]row{
		{key: "http[].delegate", entry: mesh(yes, yes, "the delegate's rules are merged under the rule's matches as istiod merges them; a missing delegate, one not exported to the root's namespace, or a delegate rule outside the root's match is left out (translate warns)")},
		{key: "http[].delegate.name", entry: both()},
		{key: "http[].delegate.namespace", entry: both()},
	},
	rewriteRows("http[].rewrite"),
	[]row{{key: "http[].timeout", entry: mesh(yes, yes, "")}},
	retryRows("http[].retries"),
	faultRows("http[].fault"),
	mirrorRows("http[]"),
	corsRows("http[].corsPolicy"),
	headersRows("http[].headers"),
	tlsRows("tls[]"),
	tcpRows("tcp[]"),
	[]row{{key: "exportTo[]", entry: mesh(yes, yes, "a proxy uses the VirtualServices exported to its namespace: its own namespace's first, then those naming it, then public ones; without exportTo, MeshConfig defaultVirtualServiceExportTo (\"*\" unless weftd --mesh-config sets it)")}},
)

// stringMatchRows rates a StringMatch; every kind of match is honoured
// wherever the match itself is.
func stringMatchRows(p string, e Entry) []row {
	return []row{{key: p, entry: e}, {key: p + ".exact", entry: e}, {key: p + ".prefix", entry: e}, {key: p + ".regex", entry: e}}
}

func httpMatchRows(p string) []row {
	pseudo := mesh(yes, no, noPseudo)
	query := mesh(yes, no, noQuery)
	return concat(
		[]row{
			{key: p, entry: both()},
			{key: p + ".name", entry: none("ignored: Envoy route names come from http[].name")},
		},
		stringMatchRows(p+".uri", both()),
		stringMatchRows(p+".scheme", pseudo),
		stringMatchRows(p+".method", pseudo),
		stringMatchRows(p+".authority", pseudo),
		stringMatchRows(p+".headers{}", both()),
		[]row{
			{key: p + ".port", entry: both()},
			{key: p + ".sourceLabels{}", entry: both()},
			{key: p + ".gateways[]", entry: none("not supported yet: ignored, the match applies to mesh traffic (translate warns)")},
		},
		stringMatchRows(p+".queryParams{}", query),
		[]row{{key: p + ".ignoreUriCase", entry: both()}},
		stringMatchRows(p+".withoutHeaders{}", both()),
		[]row{
			{key: p + ".sourceNamespace", entry: both()},
			{key: p + ".statPrefix", entry: none("ignored: no per-route stat prefix is set")},
		},
	)
}

// destinationRows rates a Destination (host, subset, port) with e.
func destinationRows(p string, e Entry) []row {
	return []row{
		{key: p, entry: e}, {key: p + ".host", entry: e}, {key: p + ".subset", entry: e},
		{key: p + ".port", entry: e}, {key: p + ".port.number", entry: e},
	}
}

func headersRows(p string) []row {
	e := mesh(yes, no, noHeaderEdits)
	return []row{
		{key: p, entry: e},
		{key: p + ".request", entry: e}, {key: p + ".request.set{}", entry: e},
		{key: p + ".request.add{}", entry: e}, {key: p + ".request.remove[]", entry: e},
		{key: p + ".response", entry: e}, {key: p + ".response.set{}", entry: e},
		{key: p + ".response.add{}", entry: e}, {key: p + ".response.remove[]", entry: e},
	}
}

func redirectRows(p string) []row {
	e := mesh(yes, no, noRedirect)
	return []row{
		{key: p, entry: e}, {key: p + ".uri", entry: e}, {key: p + ".authority", entry: e}, {key: p + ".port", entry: e},
		{key: p + ".derivePort", entry: none("ignored: the redirect keeps Envoy's default port handling")},
		{key: p + ".scheme", entry: e},
		{key: p + ".redirectCode", entry: e},
		{key: p + ".prefixRewrite", entry: none("ignored")},
	}
}

func directResponseRows(p string) []row {
	e := mesh(yes, no, noRedirect)
	return []row{
		{key: p, entry: e}, {key: p + ".status", entry: e}, {key: p + ".body", entry: e},
		{key: p + ".body.string", entry: e}, {key: p + ".body.bytes", entry: e},
	}
}

func rewriteRows(p string) []row {
	e := mesh(yes, no, noRewrite)
	return []row{
		{key: p, entry: e}, {key: p + ".uri", entry: e}, {key: p + ".authority", entry: e},
		{key: p + ".uriRegexRewrite", entry: e}, {key: p + ".uriRegexRewrite.match", entry: e},
		{key: p + ".uriRegexRewrite.rewrite", entry: e},
	}
}

func retryRows(p string) []row {
	return []row{
		{key: p, entry: mesh(yes, part, "proxyless: only gRPC status conditions are retried, without a per-try timeout")},
		{key: p + ".attempts", entry: both()},
		{key: p + ".perTryTimeout", entry: mesh(yes, no, "proxyless: grpc-go has no per-try timeout")},
		{key: p + ".retryOn", entry: mesh(yes, part, "HTTP status codes become Envoy's retriable_status_codes; proxyless: conditions other than cancelled, deadline-exceeded, internal, resource-exhausted and unavailable, and status codes, are dropped")},
		{key: p + ".retryRemoteLocalities", entry: mesh(yes, no, "proxyless: grpc-go has no retry priorities")},
		{key: p + ".retryIgnorePreviousHosts", entry: mesh(yes, no, "proxyless: grpc-go has no retry host predicates")},
		{key: p + ".backoff", entry: mesh(yes, yes, "the base interval; the maximum is 10× it, as in istiod")},
	}
}

func faultRows(p string) []row {
	return []row{
		{key: p, entry: both()},
		{key: p + ".delay", entry: both()},
		{key: p + ".delay.percent", entry: both()},
		{key: p + ".delay.fixedDelay", entry: both()},
		{key: p + ".delay.exponentialDelay", entry: none("ignored")},
		{key: p + ".delay.percentage", entry: mesh(yes, yes, "unset: no request is delayed (falls back to percent), as Istio documents")},
		{key: p + ".delay.percentage.value", entry: both()},
		{key: p + ".abort", entry: both()},
		{key: p + ".abort.httpStatus", entry: both()},
		{key: p + ".abort.grpcStatus", entry: both()},
		{key: p + ".abort.http2Error", entry: none("refused by validation, as in Istio (not supported by Envoy's fault filter)")},
		{key: p + ".abort.percentage", entry: mesh(yes, yes, "unset: no request is aborted, as Istio documents")},
		{key: p + ".abort.percentage.value", entry: both()},
	}
}

// mirrorRows rates the three mirroring fields of an HTTP route at p.
func mirrorRows(p string) []row {
	e := mesh(yes, no, noMirror)
	return concat(
		destinationRows(p+".mirror", e),
		[]row{{key: p + ".mirrors[]", entry: e}},
		destinationRows(p+".mirrors[].destination", e),
		[]row{
			{key: p + ".mirrors[].percentage", entry: e}, {key: p + ".mirrors[].percentage.value", entry: e},
			{key: p + ".mirrorPercent", entry: e},
			{key: p + ".mirrorPercentage", entry: e}, {key: p + ".mirrorPercentage.value", entry: e},
		},
	)
}

func corsRows(p string) []row {
	e := mesh(yes, no, noCors)
	return concat(
		[]row{
			{key: p, entry: e},
			{key: p + ".allowOrigin[]", entry: mesh(yes, no, "exact origins, used only when allowOrigins is empty (as istiod); "+noCors)},
			{key: p + ".allowOrigins[]", entry: e},
		},
		stringMatchRows(p+".allowOrigins[]", e)[1:],
		[]row{
			{key: p + ".allowMethods[]", entry: e}, {key: p + ".allowHeaders[]", entry: e},
			{key: p + ".exposeHeaders[]", entry: e}, {key: p + ".maxAge", entry: e},
			{key: p + ".allowCredentials", entry: e},
			{key: p + ".unmatchedPreflights", entry: none("ignored: Envoy's default (forward) applies")},
		},
	)
}

func tcpRows(p string) []row {
	e := mesh(yes, no, noTCPRules)
	return concat(
		[]row{
			{key: p, entry: mesh(yes, no, "sidecars: only services with an address get a TCP listener, and not on TLS or HTTPS ports, where tls rules apply, as istiod; "+noTCPRules)},
			{key: p + ".match[]", entry: e},
			{key: p + ".match[].destinationSubnets[]", entry: none("ignored")},
			{key: p + ".match[].port", entry: e},
			{key: p + ".match[].sourceSubnet", entry: none("ignored")},
			{key: p + ".match[].sourceLabels{}", entry: e},
			{key: p + ".match[].gateways[]", entry: none("ignored: the match applies to mesh traffic")},
			{key: p + ".match[].sourceNamespace", entry: e},
			{key: p + ".route[]", entry: e},
			{key: p + ".route[].weight", entry: e},
		},
		destinationRows(p+".route[].destination", e),
	)
}
