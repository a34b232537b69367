package offline

import (
	"slices"

	"github.com/weftmesh/weft/pilot/simulate"
)

func (w Want) checksTLS() bool {
	return w.SNI != "" || w.SANs != nil || w.TrustedCA != "" || w.ClientCertificate != "" || w.UpstreamALPN != nil
}

// checkTLS compares the upstream's TLS names with the wanted ones.
func (w Want) checkTLS(u simulate.Upstream, diff func(string, any, any)) {
	if w.SNI != "" && u.SNI != w.SNI {
		diff("SNI", u.SNI, w.SNI)
	}
	if w.SANs != nil && !slices.Equal(u.SANs, w.SANs) && (len(u.SANs) > 0 || len(w.SANs) > 0) {
		diff("SANs", u.SANs, w.SANs)
	}
	if w.TrustedCA != "" && u.TrustedCA != w.TrustedCA {
		diff("trusted CA", u.TrustedCA, w.TrustedCA)
	}
	if w.ClientCertificate != "" && u.ClientCertificate != w.ClientCertificate {
		diff("client certificate", u.ClientCertificate, w.ClientCertificate)
	}
	if w.UpstreamALPN != nil && !slices.Equal(u.ALPN, w.UpstreamALPN) {
		diff("upstream ALPN", u.ALPN, w.UpstreamALPN)
	}
}
