package mesh

import (
	"errors"
	"time"
)

type h2KeepAliveDoc struct {
	Interval string `json:"interval,omitempty"`
	Timeout  string `json:"timeout,omitempty"`
}

// poolExtrasToDoc writes the connection-pool fields beyond the circuit
// breakers: connection lifetime, HTTP/2 settings and the client protocol.
func poolExtrasToDoc(cp *ConnectionPool, d *poolDoc) {
	d.MaxConnectionDuration = durString(cp.MaxConnectionDuration)
	if cp.TCPIdleTimeout != nil {
		s := cp.TCPIdleTimeout.String() // "0s" stays apart from unset
		d.TCPIdleTimeout = &s
	}
	d.MaxConcurrentStreams = cp.MaxConcurrentStreams
	if k := cp.H2KeepAlive; k != nil {
		d.H2KeepAlive = &h2KeepAliveDoc{Interval: durString(k.Interval), Timeout: durString(k.Timeout)}
	}
	d.UseClientProtocol = cp.UseClientProtocol
}

func poolExtrasFromDoc(d *poolDoc, cp *ConnectionPool) error {
	var errs []error
	pd := func(s, field string) time.Duration {
		v, err := parseDur(s, field)
		errs = append(errs, err)
		return v
	}
	cp.MaxConnectionDuration = pd(d.MaxConnectionDuration, "maxConnectionDuration")
	if d.TCPIdleTimeout != nil {
		v, err := time.ParseDuration(*d.TCPIdleTimeout)
		errs = append(errs, err)
		cp.TCPIdleTimeout = &v
	}
	cp.MaxConcurrentStreams = d.MaxConcurrentStreams
	if k := d.H2KeepAlive; k != nil {
		cp.H2KeepAlive = &H2KeepAlive{Interval: pd(k.Interval, "h2KeepAlive.interval"), Timeout: pd(k.Timeout, "h2KeepAlive.timeout")}
	}
	cp.UseClientProtocol = d.UseClientProtocol
	return errors.Join(errs...)
}

type tcpProxyDoc struct {
	IdleTimeout           *string `json:"idleTimeout,omitempty"`
	MaxConnectionDuration string  `json:"maxConnectionDuration,omitempty"`
}

func tcpProxyToDoc(t *TCPProxyLimits) *tcpProxyDoc {
	if t == nil {
		return nil
	}
	d := &tcpProxyDoc{MaxConnectionDuration: durString(t.MaxConnectionDuration)}
	if t.IdleTimeout != nil {
		s := t.IdleTimeout.String()
		d.IdleTimeout = &s
	}
	return d
}

func tcpProxyFromDoc(d *tcpProxyDoc) (*TCPProxyLimits, error) {
	if d == nil {
		return nil, nil
	}
	mcd, err := parseDur(d.MaxConnectionDuration, "tcpProxy.maxConnectionDuration")
	t := &TCPProxyLimits{MaxConnectionDuration: mcd}
	if d.IdleTimeout != nil {
		v, perr := time.ParseDuration(*d.IdleTimeout)
		t.IdleTimeout, err = &v, errors.Join(err, perr)
	}
	return t, err
}
