package envoy

import (
	"net"
	"slices"
	"strings"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
)

// Domains lists the names a client may use for svc, as istiod lists them
// for a sidecar: the hostname, its absolute form, the short forms the
// proxy's DNS search domain expands to, and the service addresses. Short
// forms follow the hostname, not the registry: a ServiceEntry for a host
// under the cluster domain gets them as a Kubernetes Service does. No
// name carries a port: the route configuration ignores the Host header's
// port (ignore_port_in_host_matching), as istiod's sidecar routes do.
func Domains(svc *mesh.Service, p *xds.Proxy) []string { return domainsFor(svc, p, nil) }

// domainsFor is Domains without the short forms that are another
// service's hostname (known): istiod keeps "foo.com" for the service named
// so rather than let foo.com.svc.cluster.local's expansion take it.
func domainsFor(svc *mesh.Service, p *xds.Proxy, known map[string]bool) []string {
	names := []string{svc.Hostname}
	if net.ParseIP(svc.Hostname) == nil {
		names = append(names, svc.Hostname+".")
	}
	for _, a := range altHosts(svc.Hostname, p.DNSDomain) {
		if !known[a] {
			names = append(names, a)
		}
	}
	for _, a := range svc.Addresses {
		if a != "" && a != "0.0.0.0" {
			names = append(names, a)
		}
	}
	return names
}

// altHosts are the shorter names of host a client resolves through its
// DNS search path. A proxy in Kubernetes (DNS domain NS.svc.SUFFIX) expands
// only hosts of the form NAME.NS.svc.SUFFIX; elsewhere the host's labels
// before the suffix it shares with the proxy's domain are the short name.
func altHosts(host, dnsDomain string) []string {
	if proxyNS, suffix, ok := strings.Cut(dnsDomain, ".svc."); ok {
		if !strings.HasSuffix(host, ".svc."+suffix) {
			return nil
		}
		return kubeAltHosts(host, proxyNS)
	}
	return sharedSuffixAltHosts(host, dnsDomain)
}

// kubeAltHosts expands NAME.NS.svc.SUFFIX: NAME.NS and NAME.NS.svc from
// anywhere, and NAME alone from a proxy in namespace NS.
func kubeAltHosts(host, proxyNS string) []string {
	beforeSvc, _, _ := strings.Cut(host, ".svc.")
	name, ns, ok := strings.Cut(beforeSvc, ".")
	if !ok || ns == "" {
		return nil
	}
	if ns == proxyNS {
		return []string{name, beforeSvc + ".svc", beforeSvc}
	}
	return []string{beforeSvc, beforeSvc + ".svc"}
}

// sharedSuffixAltHosts handles a proxy whose DNS domain is not a
// Kubernetes one: the host minus the labels it shares with the proxy's
// domain, and for a two-label remainder that plus the first shared label.
func sharedSuffixAltHosts(host, dnsDomain string) []string {
	hostParts := strings.Split(host, ".")
	domainParts := strings.Split(dnsDomain, ".")
	shared := 0
	for shared < min(len(hostParts), len(domainParts)) &&
		hostParts[len(hostParts)-1-shared] == domainParts[len(domainParts)-1-shared] {
		shared++
	}
	if shared == 0 || shared == len(hostParts) {
		return nil
	}
	unique := hostParts[:len(hostParts)-shared]
	out := []string{strings.Join(unique, ".")}
	if len(unique) == 2 {
		out = append(out, strings.Join(slices.Concat(unique, hostParts[len(unique):len(unique)+1]), "."))
	}
	return out
}
