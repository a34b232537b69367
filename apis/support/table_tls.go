package support

const noTLSRules = "proxyless: gRPC clients do not route TLS by server name, tls rules do not apply"

// tlsRows rates VirtualService tls rules (pilot/translate/tlsroute.go,
// pilot/xds/envoy/listeners_sni.go).
func tlsRows(p string) []row {
	e := mesh(yes, no, noTLSRules)
	return concat(
		[]row{
			{key: p, entry: mesh(yes, no, "sidecars: on TLS and HTTPS ports, a filter chain per match on the port's listener, TLS not terminated, as istiod; "+noTLSRules)},
			{key: p + ".match[]", entry: e},
			{key: p + ".match[].sniHosts[]", entry: mesh(yes, no, "the filter chain's server names; a \"*\" entry matches any name; "+noTLSRules)},
			{key: p + ".match[].destinationSubnets[]", entry: mesh(yes, no, "the filter chain's destination prefix ranges; "+noTLSRules)},
			{key: p + ".match[].port", entry: e},
			{key: p + ".match[].sourceLabels{}", entry: e},
			{key: p + ".match[].gateways[]", entry: mesh(yes, no, "a match naming gateways but not \"mesh\" is left out for sidecars, as istiod; "+noTLSRules)},
			{key: p + ".match[].sourceNamespace", entry: e},
			{key: p + ".route[]", entry: e},
			{key: p + ".route[].weight", entry: e},
		},
		destinationRows(p+".route[].destination", e),
	)
}
