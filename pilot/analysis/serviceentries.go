package analysis

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
)

// analyzeSEAddresses reports each TCP (or protocol-less) port of a
// ServiceEntry without addresses (IST0134): with nothing to match on but
// the port, the proxy's listener for it takes all outbound traffic to that
// port. Istio skips this when status carries allocated addresses or its
// mesh config enables DNS capture with auto-allocation; weft allocates
// none, so only spec and status addresses count.
func analyzeSEAddresses(c *Context) {
	for _, se := range c.Snap.ServiceEntries {
		if len(se.Spec.GetAddresses()) > 0 || len(se.Status.GetAddresses()) > 0 {
			continue
		}
		for i, p := range se.Spec.GetPorts() {
			if p.GetProtocol() == "" || strings.EqualFold(p.GetProtocol(), "TCP") {
				c.report(CodeSEAddressesRequired, config.KeyOf(se), fmt.Sprintf("spec.ports[%d]", i),
					"port %d is TCP and the ServiceEntry has no addresses: set spec.addresses, or the port's traffic cannot be told apart from other hosts'", p.GetNumber())
			}
		}
	}
}

// seHostPort is a host and port as visible in one exportTo scope ("*" for
// every namespace).
type seHostPort struct {
	scope, host string
	port        uint32
}

type seProtocol struct {
	protocol string
	se       *networkingv1.ServiceEntry
}

// analyzeSEProtocols reports ServiceEntries that give one host and port
// different protocols where they are visible together (IST0177): the proxy
// builds one listener per port, so one of them is used. Each ServiceEntry
// is reported once, naming every entry of its first conflict.
func analyzeSEProtocols(c *Context) {
	index := map[seHostPort][]seProtocol{}
	for _, se := range c.Snap.ServiceEntries {
		for _, scope := range exportScopes(se.Spec.GetExportTo(), se.Namespace) {
			for _, h := range se.Spec.GetHosts() {
				for _, p := range se.Spec.GetPorts() {
					k := seHostPort{scope, h, p.GetNumber()}
					index[k] = append(index[k], seProtocol{strings.ToUpper(p.GetProtocol()), se})
				}
			}
		}
	}
	reported := map[config.Key]bool{}
	for _, k := range sortedHostPorts(index) {
		entries := index[k]
		if k.scope != "*" {
			entries = append(entries, index[seHostPort{"*", k.host, k.port}]...)
		}
		reportSEConflict(c, k, entries, reported)
	}
}

func reportSEConflict(c *Context, k seHostPort, entries []seProtocol, reported map[config.Key]bool) {
	var protocols, names []string
	for _, e := range entries {
		protocols = append(protocols, e.protocol)
		names = append(names, e.se.Namespace+"/"+e.se.Name)
	}
	protocols, names = sortedUnique(protocols), sortedUnique(names)
	if len(protocols) < 2 {
		return
	}
	for _, e := range entries {
		key := config.KeyOf(e.se)
		if reported[key] {
			continue
		}
		reported[key] = true
		c.report(CodeConflictingSEProtocol, key, "metadata.name",
			"ServiceEntries %s define host %s port %d with different protocols (%s): only one can apply",
			strings.Join(names, ", "), k.host, k.port, strings.Join(protocols, ", "))
	}
}

// exportScopes are the namespaces a resource is exported to, "*" standing
// for all (no exportTo, or one containing "*"), "." resolved to ns.
func exportScopes(exportTo []string, ns string) []string {
	if len(exportTo) == 0 || slices.Contains(exportTo, "*") {
		return []string{"*"}
	}
	var out []string
	for _, e := range exportTo {
		if e == "." {
			e = ns
		}
		out = append(out, e)
	}
	return sortedUnique(out)
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// sortedHostPorts orders the index's keys so reports are deterministic.
func sortedHostPorts(index map[seHostPort][]seProtocol) []seHostPort {
	keys := make([]seHostPort, 0, len(index))
	for k := range index {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.host != b.host {
			return a.host < b.host
		}
		if a.port != b.port {
			return a.port < b.port
		}
		return a.scope < b.scope
	})
	return keys
}
