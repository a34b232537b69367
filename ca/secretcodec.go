package ca

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Keys of the root Secret. ca-cert.pem/ca-key.pem are the signing root, as in
// Istio's istio-ca-secret and cacerts; root-cert.pem is the trust bundle,
// written for people and tools to read (weftd recomputes it).
const (
	keyCACert       = "ca-cert.pem"
	keyCAKey        = "ca-key.pem"
	keyRootCert     = "root-cert.pem"
	keyCertChain    = "cert-chain.pem"
	keyNextCACert   = "next-ca-cert.pem"
	keyNextCAKey    = "next-ca-key.pem"
	keyPreviousCert = "previous-ca-cert.pem"
)

// Annotations of the root Secret holding the rotation state, readable with
// kubectl. AnnotationRotate is the operator's knob: set it to any value to
// start a rotation.
const (
	AnnotationPhase  = "ca.weft.io/rotation-phase"
	AnnotationSince  = "ca.weft.io/rotation-phase-since"
	AnnotationRotate = "ca.weft.io/rotate"
)

// encodeState writes st into sec's data and annotations, replacing the CA
// keys and leaving anything else on the Secret alone.
func encodeState(st *RootState, sec *corev1.Secret) error {
	data := map[string][]byte{keyRootCert: concatPEM(st.Bundle())}
	if err := putMaterial(data, keyCACert, keyCAKey, st.Current); err != nil {
		return err
	}
	if st.Next != nil {
		if err := putMaterial(data, keyNextCACert, keyNextCAKey, st.Next); err != nil {
			return err
		}
	}
	if st.Previous != nil {
		data[keyPreviousCert] = encodeCertPEM(st.Previous.Raw)
	}
	sec.Data = data
	if sec.Annotations == nil {
		sec.Annotations = map[string]string{}
	}
	sec.Annotations[AnnotationPhase] = string(st.Phase)
	sec.Annotations[AnnotationSince] = st.Since.UTC().Format(time.RFC3339)
	if !st.RotateRequested {
		delete(sec.Annotations, AnnotationRotate)
	}
	return nil
}

func putMaterial(data map[string][]byte, certKey, keyKey string, m *Material) error {
	keyPEM, err := encodeKeyPEM(m.Key)
	if err != nil {
		return err
	}
	data[certKey], data[keyKey] = encodeCertPEM(m.Cert.Raw), keyPEM
	return nil
}

// decodeState reads the rotation state from the root Secret.
func decodeState(sec *corev1.Secret) (*RootState, error) {
	cur, err := getMaterial(sec.Data, keyCACert, keyCAKey)
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	st := &RootState{Current: cur, Phase: RotationPhase(sec.Annotations[AnnotationPhase])}
	if st.Phase == "" {
		st.Phase = PhaseStable // a Secret made by hand or by an older weftd
	}
	_, st.RotateRequested = sec.Annotations[AnnotationRotate]
	if since := sec.Annotations[AnnotationSince]; since != "" {
		if st.Since, err = time.Parse(time.RFC3339, since); err != nil {
			return nil, fmt.Errorf("secret %s/%s: annotation %s: %w", sec.Namespace, sec.Name, AnnotationSince, err)
		}
	}
	if err := decodeRotationRoots(sec, st); err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	return st, nil
}

// decodeRotationRoots reads the second root that TrustNew and SignNew carry.
func decodeRotationRoots(sec *corev1.Secret, st *RootState) error {
	var err error
	switch st.Phase {
	case PhaseTrustNew:
		st.Next, err = getMaterial(sec.Data, keyNextCACert, keyNextCAKey)
	case PhaseSignNew:
		var certs []*x509.Certificate
		if certs, err = parseCertsPEM(sec.Data[keyPreviousCert]); err == nil {
			st.Previous = certs[0]
		} else {
			err = fmt.Errorf("%s: %w", keyPreviousCert, err)
		}
	}
	return err
}

func getMaterial(data map[string][]byte, certKey, keyKey string) (*Material, error) {
	if len(data[certKey]) == 0 || len(data[keyKey]) == 0 {
		return nil, errors.New("missing " + certKey + " or " + keyKey)
	}
	certs, err := parseCertsPEM(data[certKey])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certKey, err)
	}
	key, err := parseKeyPEM(data[keyKey])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyKey, err)
	}
	return &Material{Cert: certs[0], Key: key, Roots: certs[:1]}, nil
}
