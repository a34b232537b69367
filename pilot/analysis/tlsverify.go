package analysis

import (
	"fmt"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
)

// analyzeServerVerification reports DestinationRules originating SIMPLE or
// MUTUAL TLS without caCertificates (IST0128 for the rule's policy, IST0129
// per port): the client then accepts any server certificate. As in Istio,
// subsets' policies are not looked at, and a credentialName on a rule with a
// workloadSelector counts as verification (the secret may carry the CA).
func analyzeServerVerification(c *Context) {
	for _, dr := range c.Snap.DestinationRules {
		tp := dr.Spec.GetTrafficPolicy()
		if mode, ok := unverifiedTLS(dr, tp.GetTls()); ok {
			c.report(CodeNoCertVerifyDR, config.KeyOf(dr), "spec.trafficPolicy.tls",
				"TLS mode %s without caCertificates: the server's identity for host %s is not verified", mode, dr.Spec.GetHost())
		}
		for i, pl := range tp.GetPortLevelSettings() {
			if mode, ok := unverifiedTLS(dr, pl.GetTls()); ok {
				c.report(CodeNoCertVerifyPort, config.KeyOf(dr), fmt.Sprintf("spec.trafficPolicy.portLevelSettings[%d].tls", i),
					"TLS mode %s without caCertificates: the server's identity for host %s port %d is not verified", mode, dr.Spec.GetHost(), pl.GetPort().GetNumber())
			}
		}
	}
}

// unverifiedTLS returns the mode of tls when it originates TLS without a CA
// to check the server against.
func unverifiedTLS(dr *networkingv1.DestinationRule, tls *networking.ClientTLSSettings) (networking.ClientTLSSettings_TLSmode, bool) {
	mode := tls.GetMode()
	if mode != networking.ClientTLSSettings_SIMPLE && mode != networking.ClientTLSSettings_MUTUAL {
		return mode, false
	}
	if tls.GetCaCertificates() != "" || (tls.GetCredentialName() != "" && dr.Spec.GetWorkloadSelector() != nil) {
		return mode, false
	}
	return mode, true
}
