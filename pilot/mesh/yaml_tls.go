package mesh

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
		InsecureSkipVerify: t.InsecureSkipVerify, CredentialName: t.CredentialName}, nil
}

func tlsFromDoc(d *tlsDoc) (*ClusterTLS, error) {
	if d == nil {
		return nil, nil
	}
	mode, err := valueOf(tlsModeNames, d.Mode, "TLS mode")
	return &ClusterTLS{Mode: mode, SANs: d.SANs, SNI: d.SNI, CACertificates: d.CACertificates,
		ClientCertificate: d.ClientCertificate, PrivateKey: d.PrivateKey, CACRL: d.CACRL,
		InsecureSkipVerify: d.InsecureSkipVerify, CredentialName: d.CredentialName}, err
}
