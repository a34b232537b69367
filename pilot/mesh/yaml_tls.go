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

// tlsDoc is a cluster's client TLS in the IR's YAML form.
type tlsDoc struct {
	Mode               string   `json:"mode"`
	SANs               []string `json:"sans,omitempty"`
	SNI                string   `json:"sni,omitempty"`
	CACertificates     string   `json:"caCertificates,omitempty"`
	ClientCertificate  string   `json:"clientCertificate,omitempty"`
	PrivateKey         string   `json:"privateKey,omitempty"`
	CACRL              string   `json:"caCrl,omitempty"`
	InsecureSkipVerify bool     `json:"insecureSkipVerify,omitempty"`
	CredentialName     string   `json:"credentialName,omitempty"`
	CACertCredential   string   `json:"caCertCredentialName,omitempty"`
	Selected           bool     `json:"selected,omitempty"`
}

func tlsToDoc(t *ClusterTLS) (*tlsDoc, error) {
	if t == nil {
		return nil, nil
	}
	mode, err := nameOf(tlsModeNames, t.Mode, "TLS mode")
	if err != nil {
		return nil, err
	}
	return &tlsDoc{Mode: mode, SANs: t.SANs, SNI: t.SNI, CACertificates: t.CACertificates,
		ClientCertificate: t.ClientCertificate, PrivateKey: t.PrivateKey, CACRL: t.CACRL,
		InsecureSkipVerify: t.InsecureSkipVerify, CredentialName: t.CredentialName,
		CACertCredential: t.CACertCredentialName, Selected: t.Selected}, nil
}

func tlsFromDoc(d *tlsDoc) (*ClusterTLS, error) {
	if d == nil {
		return nil, nil
	}
	mode, err := valueOf(tlsModeNames, d.Mode, "TLS mode")
	return &ClusterTLS{Mode: mode, SANs: d.SANs, SNI: d.SNI, CACertificates: d.CACertificates,
		ClientCertificate: d.ClientCertificate, PrivateKey: d.PrivateKey, CACRL: d.CACRL,
		InsecureSkipVerify: d.InsecureSkipVerify, CredentialName: d.CredentialName,
		CACertCredentialName: d.CACertCredential, Selected: d.Selected}, err
}
