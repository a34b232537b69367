package support

import "strings"

// destinationRuleRows rates DestinationRule (pilot/translate/destinationrule.go
// and policy.go, pilot/xds/build/cluster.go, hash.go, upstream_tls.go).
var destinationRuleRows = concat(
	[]row{
		{key: "", entry: mesh(yes, yes, "outbound clusters of services and subsets; looked up as istiod: the client's namespace, then the service's, then the root namespace")},
		{key: "host", entry: both()},
	},
	trafficPolicyRows("trafficPolicy", true),
	[]row{
		{key: "subsets[]", entry: both()},
		{key: "subsets[].name", entry: both()},
		{key: "subsets[].labels{}", entry: both()},
	},
	trafficPolicyRows("subsets[].trafficPolicy", true),
	[]row{
		{key: "exportTo[]", entry: mesh(yes, yes, "namespaces not listed do not see the rule; without exportTo, MeshConfig defaultDestinationRuleExportTo (\"*\" unless weftd --mesh-config sets it)")},
		{key: "workloadSelector", entry: mesh(yes, yes, "the rule applies only to the selected workloads in its own namespace and is never exported, as istiod")},
		{key: "workloadSelector.matchLabels{}", entry: both()},
	},
)

// trafficPolicyRows rates a TrafficPolicy at prefix; top is false for a
// portLevelSettings entry, which has a port but no tunnel, proxyProtocol
// or retryBudget.
func trafficPolicyRows(prefix string, top bool) []row {
	rows := []row{{key: prefix, entry: both()}}
	if !top {
		rows = append(rows, row{key: prefix + ".port", entry: both()}, row{key: prefix + ".port.number", entry: both()})
	}
	rows = concat(rows, loadBalancerRows(prefix+".loadBalancer"), ruleConnectionPoolRows(prefix),
		outlierRows(prefix+".outlierDetection"), clientTLSRows(prefix+".tls"))
	if !top {
		return rows
	}
	rows = append(rows, trafficPolicyRows(prefix+".portLevelSettings[]", false)...)
	return append(rows,
		row{key: prefix + ".tunnel", entry: none("not supported yet: ignored (translate warns)"), subtree: true},
		row{key: prefix + ".proxyProtocol", entry: none("not supported yet: ignored (translate warns)"), subtree: true},
		row{key: prefix + ".retryBudget", entry: none("ignored"), subtree: true},
	)
}

// ruleConnectionPoolRows are a rule's connection pool rows: istiod also
// applies the rule's (and port level's, not subsets') pool to the inbound
// cluster of the workloads behind the host.
func ruleConnectionPoolRows(prefix string) []row {
	rows := connectionPoolRows(prefix + ".connectionPool")
	if !strings.HasPrefix(prefix, "subsets") {
		rows[0].entry.Note = "sidecars: also on the inbound cluster of the host's own workloads unless their Sidecar sets an inbound pool, as istiod; " + rows[0].entry.Note
	}
	return rows
}

func loadBalancerRows(p string) []row {
	hashNote := "proxyless: grpc-go hashes on headers only; this key is approximated by the gRPC channel id"
	return concat([]row{
		{key: p, entry: both()},
		{key: p + ".simple", entry: mesh(part, part, "PASSTHROUGH is ignored (round robin); unset is LEAST_REQUEST on sidecars, as Istio; proxyless: RANDOM is served as ROUND_ROBIN, unset is ROUND_ROBIN")},
		{key: p + ".consistentHash", entry: mesh(yes, part, "proxyless: MAGLEV is served as RING_HASH; only header hashing is exact")},
		{key: p + ".consistentHash.httpHeaderName", entry: both()},
		{key: p + ".consistentHash.httpCookie", entry: mesh(yes, part, hashNote)},
		{key: p + ".consistentHash.httpCookie.name", entry: mesh(yes, part, hashNote)},
		{key: p + ".consistentHash.httpCookie.path", entry: mesh(yes, part, hashNote)},
		{key: p + ".consistentHash.httpCookie.ttl", entry: mesh(yes, part, hashNote)},
		{key: p + ".consistentHash.httpCookie.attributes[]", entry: none("ignored: the cookie is generated without attributes"), subtree: true},
		{key: p + ".consistentHash.useSourceIp", entry: mesh(yes, part, hashNote)},
		{key: p + ".consistentHash.httpQueryParameterName", entry: mesh(yes, part, hashNote)},
		{key: p + ".consistentHash.ringHash", entry: both()},
		{key: p + ".consistentHash.ringHash.minimumRingSize", entry: both()},
		{key: p + ".consistentHash.maglev", entry: mesh(yes, part, "proxyless: served as RING_HASH, grpc-go rejects MAGLEV")},
		{key: p + ".consistentHash.maglev.tableSize", entry: none("ignored: Envoy's default table size applies")},
		{key: p + ".consistentHash.minimumRingSize", entry: both()},
		{key: p + ".backendUtilization", entry: none("ignored"), subtree: true},
	}, localityRows(p+".localityLbSetting"), []row{
		{key: p + ".zoneAwareLbSetting", entry: none("ignored"), subtree: true},
		{key: p + ".warmupDurationSecs", entry: none("ignored")},
		{key: p + ".warmup", entry: none("ignored"), subtree: true},
	})
}

// localityRows rates localityLbSetting (pilot/mesh/locality_lb.go): EDS
// priorities and locality weights per proxy locality, sent alike to grpc-go
// (priority and weighted_target balancers).
func localityRows(p string) []row {
	failover := "only with outlierDetection, as Istio; proxyless: grpc-go moves to the next priority when a priority has no reachable endpoint"
	return []row{
		{key: p, entry: mesh(yes, yes, "a rule without one takes the mesh config's localityLbSetting (weftd --mesh-config), as istiod")},
		{key: p + ".enabled", entry: both()},
		{key: p + ".distribute[]", entry: mesh(yes, yes, "locality weights from the proxy's locality; a locality no rule lists is left out of EDS (istiod sends it with no endpoints: the same traffic)")},
		{key: p + ".distribute[].from", entry: both()},
		{key: p + ".distribute[].to{}", entry: both()},
		{key: p + ".failover[]", entry: mesh(yes, yes, failover)},
		{key: p + ".failover[].from", entry: mesh(yes, yes, failover)},
		{key: p + ".failover[].to", entry: mesh(yes, yes, failover)},
		{key: p + ".failoverPriority[]", entry: mesh(yes, yes, failover+"; topology labels (region, zone, subzone, kubernetes.io/hostname) come from the locality and node; weft has one network and one cluster")},
	}
}

func connectionPoolRows(p string) []row {
	onlyMaxRequests := "proxyless: grpc-go reads only http2MaxRequests (max_requests)"
	grpcIgnores := "proxyless: not sent, grpc-go has no such limit"
	h2Ping := "sidecars: HTTP/2 PINGs on HTTP/2 upstream connections only, as istiod; proxyless: not sent, grpc-go's keepalive is set in code"
	keepalive := "sidecars: SO_KEEPALIVE on upstream connections; proxyless: not sent, grpc-go ignores it"
	return []row{
		{key: p, entry: mesh(yes, part, onlyMaxRequests)},
		{key: p + ".tcp", entry: mesh(yes, no, "proxyless: no tcp setting reaches grpc-go")},
		{key: p + ".tcp.maxConnections", entry: mesh(yes, no, grpcIgnores)},
		{key: p + ".tcp.connectTimeout", entry: mesh(yes, no, "proxyless: grpc-go ignores the cluster connect timeout")},
		{key: p + ".tcp.tcpKeepalive", entry: mesh(yes, no, keepalive)},
		{key: p + ".tcp.tcpKeepalive.probes", entry: mesh(yes, no, keepalive)},
		{key: p + ".tcp.tcpKeepalive.time", entry: mesh(yes, no, keepalive+"; whole seconds")},
		{key: p + ".tcp.tcpKeepalive.interval", entry: mesh(yes, no, keepalive+"; whole seconds")},
		{key: p + ".tcp.maxConnectionDuration", entry: mesh(yes, no, "sidecars: on the cluster's HTTP connections, and on TCP proxies from the rule's top-level policy only, as istiod; "+grpcIgnores)},
		{key: p + ".tcp.idleTimeout", entry: mesh(yes, no, "sidecars: on TCP proxies from the rule's top-level policy only (0s disables it), and on the cluster's HTTP connections when http.idleTimeout is unset, as istiod; "+grpcIgnores)},
		{key: p + ".http", entry: mesh(yes, part, onlyMaxRequests)},
		{key: p + ".http.http1MaxPendingRequests", entry: mesh(yes, no, grpcIgnores)},
		{key: p + ".http.http2MaxRequests", entry: both()},
		{key: p + ".http.maxRequestsPerConnection", entry: mesh(yes, no, grpcIgnores)},
		{key: p + ".http.maxRetries", entry: mesh(yes, no, grpcIgnores)},
		{key: p + ".http.idleTimeout", entry: mesh(yes, no, grpcIgnores)},
		{key: p + ".http.h2UpgradePolicy", entry: mesh(yes, no, "sidecars: UPGRADE makes the cluster speak HTTP/2 on any port, as istiod; proxyless: not sent, gRPC is always HTTP/2")},
		{key: p + ".http.useClientProtocol", entry: mesh(yes, no, "sidecars: the upstream speaks the client's HTTP version and h2UpgradePolicy is ignored, as istiod; proxyless: gRPC is always HTTP/2")},
		{key: p + ".http.maxConcurrentStreams", entry: mesh(yes, no, "sidecars: on HTTP/2 upstream connections only (HTTP/2 and gRPC ports, h2UpgradePolicy UPGRADE), as istiod; "+grpcIgnores)},
		{key: p + ".http.http2KeepAlive", entry: mesh(yes, no, h2Ping)},
		{key: p + ".http.http2KeepAlive.interval", entry: mesh(yes, no, h2Ping)},
		{key: p + ".http.http2KeepAlive.timeout", entry: mesh(yes, no, h2Ping)},
	}
}

func outlierRows(p string) []row {
	consecutive := "proxyless: grpc-go ejects only by success rate (off, as istiod sets) or failure percentage and ignores consecutive-error counts"
	return []row{
		{key: p, entry: mesh(yes, part, consecutive)},
		{key: p + ".consecutiveErrors", entry: none("deprecated and ignored, as istiod: Envoy's default of 5 consecutive 5xx applies; use consecutive5xxErrors")},
		{key: p + ".splitExternalLocalOriginErrors", entry: mesh(yes, no, consecutive)},
		{key: p + ".consecutiveLocalOriginFailures", entry: mesh(yes, no, "applied only with splitExternalLocalOriginErrors, as istiod; "+consecutive)},
		{key: p + ".consecutiveGatewayErrors", entry: mesh(yes, no, consecutive)},
		{key: p + ".consecutive5xxErrors", entry: mesh(yes, no, consecutive)},
		{key: p + ".interval", entry: both()},
		{key: p + ".baseEjectionTime", entry: both()},
		{key: p + ".maxEjectionPercent", entry: both()},
		{key: p + ".minHealthPercent", entry: mesh(yes, no, "sidecars: the cluster's panic threshold (0 when unset disables panic mode); proxyless: grpc-go has no panic threshold")},
		{key: p + ".outlierDetectionHttpErrorCodes[]", entry: none("ignored, as istiod: Envoy's outlier detection has no per-status error matcher")},
		{key: p + ".failurePercentageThreshold", entry: mesh(yes, yes, "ejects hosts whose failure percentage over the interval reaches it: the failure-percentage detector of Envoy and grpc-go, enforced 100% (their defaults: at least 5 hosts, 50 requests)")},
	}
}

func clientTLSRows(p string) []row {
	noGRPC := "proxyless: sent without TLS, as istiod: grpc-go takes certificates only from its bootstrap's certificate providers"
	sidecarOnly := mesh(yes, no, "SIMPLE and MUTUAL; files on the proxy, served by weft-agent over SDS (file-cert:/file-root:); "+noGRPC)
	return []row{
		{key: p, entry: mesh(yes, part, "proxyless: DISABLE and ISTIO_MUTUAL only; "+noGRPC)},
		{key: p + ".mode", entry: mesh(yes, part, "proxyless: SIMPLE and MUTUAL are sent without TLS, as istiod (the generator reports it)")},
		{key: p + ".clientCertificate", entry: sidecarOnly},
		{key: p + ".privateKey", entry: sidecarOnly},
		{key: p + ".caCertificates", entry: mesh(yes, no, "unset verifies against the OS roots (file-root:system), as Istio; "+noGRPC)},
		{key: p + ".credentialName", entry: mesh(yes, no, "sidecars: only in a rule with a workloadSelector, as Istio; the cluster fetches kubernetes://NAME "+
			"(and the CA as kubernetes://NAME-cacert) from weftd over ADS, as istiod; a rule without one gives sidecars no TLS, as istiod (translate warns). "+
			"weftd serves it to proxies of the Secret's namespace, keys only to workloads that may list their namespace's Secrets (SubjectAccessReview, as istiod), "+
			"watching a Secret once asked for it, alone (field selector). RBAC: the chart grants create on subjectaccessreviews; read access to Secrets is never cluster-wide (unlike istiod's): "+
			"list and watch on each credential Secret by name come from the chart value credentials.secrets (namespace: [names]), else from an operator's Role with those resourceNames; file mode has no Secrets; "+
			"a configmap:// credential is not served (no TLS, translate warns); "+noGRPC)},
		{key: p + ".caCertCredentialName", entry: mesh(yes, no, "sidecars: only in a rule with a workloadSelector, as Istio documents: the CA comes from the Secret NAME-cacert, else NAME, "+
			"over ADS as for credentialName (istiod itself ignores this field for client TLS); a ConfigMap is not served (translate warns); "+noGRPC)},
		{key: p + ".subjectAltNames[]", entry: mesh(yes, part, "unset with SIMPLE/MUTUAL and no sni: the request's host is verified (auto SAN), as Istio; proxyless: ISTIO_MUTUAL only")},
		{key: p + ".sni", entry: mesh(yes, no, "unset with SIMPLE/MUTUAL: the request's host (auto SNI); ISTIO_MUTUAL: replaces outbound_.PORT_.SUBSET_.HOST; proxyless: grpc-go sends none")},
		{key: p + ".insecureSkipVerify", entry: sidecarOnly},
		{key: p + ".caCrl", entry: sidecarOnly},
	}
}

// concat joins row lists in order.
func concat(lists ...[]row) []row {
	var out []row
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
