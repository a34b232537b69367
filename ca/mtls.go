package ca

import (
	"crypto/tls"
	"crypto/x509"
	"sync"
)

// MutualTLSConfig serves weftd's certificate and verifies a client
// certificate, when one is given, against the current trust bundle (both
// roots during a rotation). The CA API takes callers without one (they
// authenticate with a token); ADS refuses them (pilot/xds/server).
func (s *Server) MutualTLSConfig() *tls.Config {
	pools := &rootPools{authority: s.authority}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Per handshake, so a rotated bundle is used at once.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return &tls.Config{
				MinVersion:     tls.VersionTLS12,
				NextProtos:     []string{"h2"}, // gRPC clients require ALPN h2
				GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.serving.get(), nil },
				ClientAuth:     tls.VerifyClientCertIfGiven,
				ClientCAs:      pools.current(),
			}, nil
		},
	}
}

// rootPools caches the pool of the current roots; material is swapped as a
// whole, so its pointer says when the pool is stale.
type rootPools struct {
	authority *Authority
	mu        sync.Mutex
	material  *Material
	pool      *x509.CertPool
}

func (r *rootPools) current() *x509.CertPool {
	m := r.authority.Material()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.material != m {
		r.pool = x509.NewCertPool()
		for _, c := range m.Roots {
			r.pool.AddCert(c)
		}
		r.material = m
	}
	return r.pool
}
