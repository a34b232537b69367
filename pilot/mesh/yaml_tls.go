package mesh

import "fmt"

type tlsRouteDoc struct {
	Origin             string            `json:"origin,omitempty"`
	SNIHosts           []string          `json:"sniHosts"`
	DestinationSubnets []string          `json:"destinationSubnets,omitempty"`
	Port               uint32            `json:"port,omitempty"`
	SourceLabels       map[string]string `json:"sourceLabels,omitempty"`
	SourceNamespace    string            `json:"sourceNamespace,omitempty"`
	Destinations       []destinationDoc  `json:"destinations,omitempty"`
}

func tlsRoutesToDoc(rs []*TLSRoute) []tlsRouteDoc {
	var out []tlsRouteDoc
	for _, r := range rs {
		out = append(out, tlsRouteDoc{Origin: r.Origin, SNIHosts: r.SNIHosts, DestinationSubnets: r.DestinationSubnets,
			Port: r.Port, SourceLabels: r.SourceLabels, SourceNamespace: r.SourceNamespace, Destinations: destinationsToDoc(r.Destinations)})
	}
	return out
}

func tlsRoutesFromDoc(ds []tlsRouteDoc) ([]*TLSRoute, error) {
	var out []*TLSRoute
	for _, d := range ds {
		dests, err := destinationsFromDoc(d.Destinations)
		if err != nil {
			return nil, fmt.Errorf("tls route %s: %w", d.Origin, err)
		}
		out = append(out, &TLSRoute{Origin: d.Origin, SNIHosts: d.SNIHosts, DestinationSubnets: d.DestinationSubnets,
			Port: d.Port, SourceLabels: d.SourceLabels, SourceNamespace: d.SourceNamespace, Destinations: dests})
	}
	return out, nil
}
