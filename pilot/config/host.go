package config

import "strings"

// DomainSuffix is the cluster DNS suffix short host names are expanded with.
const DomainSuffix = "svc.cluster.local"

// ResolveHost expands a short host name the way Istio does: a name without
// dots ("reviews") is a Service in namespace, so it becomes
// reviews.<namespace>.svc.cluster.local; names with dots and "*" are taken
// as given. An empty namespace means "default".
func ResolveHost(host, namespace string) string {
	if host == "" || host == "*" || strings.Contains(host, ".") {
		return host
	}
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return host + "." + namespace + "." + DomainSuffix
}
