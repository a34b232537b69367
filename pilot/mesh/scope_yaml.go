package mesh

import (
	"fmt"
	"strings"
)

// sidecarPortDoc is a Sidecar listener's port.
type sidecarPortDoc struct {
	Name     string   `json:"name,omitempty"`
	Number   uint32   `json:"number"`
	Protocol Protocol `json:"protocol"`
}

// ingressDoc is an IngressListener in the IR's YAML; the pool is written
// as a DestinationRule connection pool is.
type ingressDoc struct {
	Port            sidecarPortDoc `json:"port"`
	DefaultEndpoint string         `json:"defaultEndpoint,omitempty"`
	Bind            string         `json:"bind,omitempty"`
	CaptureNone     bool           `json:"captureNone,omitempty"`
	Pool            *poolDoc       `json:"connectionPool,omitempty"`
}

// egressDoc is an EgressListener; hosts as "namespace/host".
type egressDoc struct {
	Port        sidecarPortDoc `json:"port"`
	Hosts       []string       `json:"hosts,omitempty"`
	Bind        string         `json:"bind,omitempty"`
	CaptureNone bool           `json:"captureNone,omitempty"`
}

func scopeExtrasToDoc(s *Scope, sd *scopeDoc) {
	for _, l := range s.EgressPorts {
		d := egressDoc{Port: sidecarPortDoc(l.Port), Bind: l.Bind, CaptureNone: l.CaptureNone}
		for _, h := range l.Hosts {
			d.Hosts = append(d.Hosts, h.Namespace+"/"+h.Host)
		}
		sd.EgressPorts = append(sd.EgressPorts, d)
	}
	for _, in := range s.Ingress {
		sd.Ingress = append(sd.Ingress, ingressDoc{Port: sidecarPortDoc(in.Port), DefaultEndpoint: in.DefaultEndpoint,
			Bind: in.Bind, CaptureNone: in.CaptureNone, Pool: poolToDoc(in.Pool)})
	}
	sd.InboundPool = poolToDoc(s.InboundPoolDefault)
	if s.EgressProxy != nil {
		sd.EgressProxy = s.EgressProxy.String()
	}
}

func scopeExtrasFromDoc(sd *scopeDoc, s *Scope) error {
	if sd.EgressProxy != "" {
		k, err := ParseClusterKey(sd.EgressProxy)
		if err != nil {
			return fmt.Errorf("egressProxy: %w", err)
		}
		s.EgressProxy = &k
	}
	for _, d := range sd.EgressPorts {
		if err := checkKnown(knownProtocols, d.Port.Protocol, "protocol"); err != nil {
			return fmt.Errorf("egress port %d: %w", d.Port.Number, err)
		}
		l := EgressListener{Port: Port(d.Port), Bind: d.Bind, CaptureNone: d.CaptureNone}
		for _, h := range d.Hosts {
			ns, host, _ := strings.Cut(h, "/")
			l.Hosts = append(l.Hosts, HostPattern{Namespace: ns, Host: host})
		}
		s.EgressPorts = append(s.EgressPorts, l)
	}
	for _, d := range sd.Ingress {
		if err := checkKnown(knownProtocols, d.Port.Protocol, "protocol"); err != nil {
			return fmt.Errorf("ingress port %d: %w", d.Port.Number, err)
		}
		pool, err := poolFromDoc(d.Pool)
		if err != nil {
			return err
		}
		s.Ingress = append(s.Ingress, IngressListener{Port: Port(d.Port), DefaultEndpoint: d.DefaultEndpoint, Bind: d.Bind,
			CaptureNone: d.CaptureNone, Pool: pool})
	}
	var err error
	s.InboundPoolDefault, err = poolFromDoc(sd.InboundPool)
	return err
}

func poolToDoc(cp *ConnectionPool) *poolDoc {
	if cp == nil {
		return nil
	}
	d, _ := policyToDoc(TrafficPolicy{ConnectionPool: cp}) // no TLS mode: cannot fail
	return d.ConnectionPool
}

func poolFromDoc(d *poolDoc) (*ConnectionPool, error) {
	if d == nil {
		return nil, nil
	}
	p, err := policyFromDoc(&policyDoc{ConnectionPool: d})
	return p.ConnectionPool, err
}
