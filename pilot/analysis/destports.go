package analysis

import (
	"fmt"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/config"
)

// analyzeDestinationPorts reports route and mirror destinations without a
// port whose Service or ServiceEntry exposes several (IST0112): which port
// the traffic goes to then depends on the port the client used, which is
// rarely what a route meant to pin down. Unknown hosts are IST0101's.
func analyzeDestinationPorts(c *Context) {
	for _, vs := range c.Snap.VirtualServices {
		key := config.KeyOf(vs)
		forEachDestination(vs, func(field string, d *networking.Destination) {
			if d.GetPort() != nil {
				return
			}
			svc := c.hosts[config.ResolveHost(d.GetHost(), vs.Namespace)]
			if svc == nil || len(svc.Ports) < 2 {
				return
			}
			ports := make([]string, len(svc.Ports))
			for i, p := range svc.Ports {
				ports[i] = fmt.Sprint(p.Number)
			}
			c.report(CodeDestPortRequired, key, field,
				"host %s exposes several ports (%s): set destination.port to say which one", svc.Hostname, strings.Join(ports, ", "))
		})
	}
}
