package validation

import (
	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateServerTLS checks the TLS settings of a Gateway server or a
// Sidecar ingress listener: where the certificate comes from must agree
// with the mode. Cipher suites and protocol versions are not refused
// (Istio only warns about them).
func validateServerTLS(p *field.Path, tls *networking.ServerTLSSettings) field.ErrorList {
	if tls == nil {
		return nil
	}
	if tls.GetMode() == networking.ServerTLSSettings_ISTIO_MUTUAL {
		return validateIstioMutualServerTLS(p, tls)
	}
	errs := validateOneCertSource(p, tls)
	if !terminatesTLS(tls.GetMode()) {
		return append(errs, validatePassthroughCRL(p, tls)...)
	}
	// A credential carries its own certificate, key, CA bundle and CRL.
	if hasCredential(tls) {
		return errs
	}
	errs = append(errs, validateCertFiles(p, tls)...)
	if tls.GetCaCrl() != "" && tls.GetMode() == networking.ServerTLSSettings_SIMPLE {
		errs = append(errs, field.Forbidden(p.Child("caCrl"), "caCrl needs client certificates: it cannot be used with mode SIMPLE"))
	}
	return errs
}

// validatePassthroughCRL refuses a CRL beside a credentialName in the
// passthrough modes: the CRL would have to come from the credential.
func validatePassthroughCRL(p *field.Path, tls *networking.ServerTLSSettings) field.ErrorList {
	if tls.GetCaCrl() != "" && tls.GetCredentialName() != "" {
		return field.ErrorList{field.Forbidden(p.Child("caCrl"), "caCrl cannot be combined with credentialName: put the CRL in the credential")}
	}
	return nil
}

// terminatesTLS reports whether the proxy terminates TLS in mode m with a
// certificate of its own.
func terminatesTLS(m networking.ServerTLSSettings_TLSmode) bool {
	return m == networking.ServerTLSSettings_SIMPLE || m == networking.ServerTLSSettings_MUTUAL || m == networking.ServerTLSSettings_OPTIONAL_MUTUAL
}

// hasCredential reports whether the certificate comes from a secret,
// fetched over SDS, so no file paths are needed.
func hasCredential(tls *networking.ServerTLSSettings) bool {
	return tls.GetCredentialName() != "" || len(tls.GetCredentialNames()) > 0
}

// validateIstioMutualServerTLS refuses certificate settings in mode
// ISTIO_MUTUAL, which always uses the workload's mesh certificate.
func validateIstioMutualServerTLS(p *field.Path, tls *networking.ServerTLSSettings) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"serverCertificate", tls.GetServerCertificate() != ""},
		{"privateKey", tls.GetPrivateKey() != ""},
		{"caCertificates", tls.GetCaCertificates() != ""},
		{"tlsCertificates", len(tls.GetTlsCertificates()) > 0},
		{"credentialName", tls.GetCredentialName() != ""},
		{"credentialNames", len(tls.GetCredentialNames()) > 0},
	} {
		if f.set {
			errs = append(errs, field.Forbidden(p.Child(f.name), f.name+" cannot be set with mode ISTIO_MUTUAL, which uses the mesh certificate"))
		}
	}
	return errs
}

// validateOneCertSource refuses two certificate sources, marking the
// second (in the API's field order).
func validateOneCertSource(p *field.Path, tls *networking.ServerTLSSettings) field.ErrorList {
	var set []string
	for _, src := range []struct {
		name string
		set  bool
	}{
		{"serverCertificate", tls.GetServerCertificate() != "" && tls.GetPrivateKey() != ""},
		{"credentialName", tls.GetCredentialName() != ""},
		{"credentialNames", len(tls.GetCredentialNames()) > 0},
		{"tlsCertificates", len(tls.GetTlsCertificates()) > 0},
	} {
		if src.set {
			set = append(set, src.name)
		}
	}
	if len(set) < 2 {
		return nil
	}
	return field.ErrorList{field.Forbidden(p.Child(set[1]), "set only one of serverCertificate/privateKey, credentialName, credentialNames and tlsCertificates; "+set[0]+" is set too")}
}

// validateCertFiles requires, for a terminating mode without a credential,
// a certificate and key (in tls itself or in each tlsCertificates entry)
// and, for the mutual modes, a CA bundle to check clients against.
func validateCertFiles(p *field.Path, tls *networking.ServerTLSSettings) field.ErrorList {
	var errs field.ErrorList
	if tls.GetMode() != networking.ServerTLSSettings_SIMPLE && tls.GetCaCertificates() == "" {
		errs = append(errs, field.Required(p, "mode "+tls.GetMode().String()+" needs caCertificates to verify client certificates"))
	}
	if len(tls.GetTlsCertificates()) == 0 {
		return append(errs, validateCertPair(p, tls.GetServerCertificate(), tls.GetPrivateKey())...)
	}
	for i, c := range tls.GetTlsCertificates() {
		errs = append(errs, validateCertPair(p.Child("tlsCertificates").Index(i), c.GetServerCertificate(), c.GetPrivateKey())...)
	}
	return errs
}

func validateCertPair(p *field.Path, cert, key string) field.ErrorList {
	var errs field.ErrorList
	if cert == "" {
		errs = append(errs, field.Required(p, "TLS termination needs serverCertificate (or a credentialName)"))
	}
	if key == "" {
		errs = append(errs, field.Required(p, "TLS termination needs privateKey (or a credentialName)"))
	}
	return errs
}
