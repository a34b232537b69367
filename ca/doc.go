// Package ca is weft's certificate authority: it issues the SPIFFE workload
// certificates sidecars and proxyless gRPC workloads use for mTLS, speaking
// Istio's IstioCertificateService (package istio.v1.auth, see ca/pb), so
// istio-agent and weft-agent can both use it.
//
// Decisions, each covered by a test:
//
//   - Identity comes from the caller, never the CSR. A workload authenticated
//     as ns/a whose CSR asks for ns/b gets a certificate for
//     spiffe://<td>/ns/<ns>/sa/a: the CSR's subject and SANs are ignored (as
//     Istio does), so no CSR content can widen what the caller gets.
//   - Lifetimes: 0 means DefaultTTL (24h); requests above MaxTTL (90 days)
//     are clamped to it, not refused, so a misconfigured agent still gets a
//     working certificate whose NotAfter tells it when to renew. Negative is
//     InvalidArgument. A leaf never outlives the certificate that signs it.
//   - Authentication: in Kubernetes mode only TokenReview (audience
//     "istio-ca" by default), which also rejects tokens of deleted service
//     accounts. File mode takes any Authenticator (StaticTokens for tests).
//   - Status codes: Unauthenticated (missing, malformed, expired, wrong
//     audience, unknown account), InvalidArgument (CSR, lifetime),
//     Unavailable (the API server could not review the token), Internal.
//   - Roots: a plug-in CA directory (Istio's cacerts files, reloaded on
//     change) wins; otherwise, in Kubernetes mode, a self-signed ECDSA P-256
//     root valid 10 years, kept in the Secret weft-ca-root (replicas and
//     restarts share it; concurrent creation resolves to one root) and
//     rotated in phases (docs/ca-rotation.md); in file mode, a root in memory.
//   - The trust bundle is published as ConfigMap istio-ca-root-cert (key
//     root-cert.pem) in every namespace.
//
// weftd wires it as:
//
//	s, err := ca.New(ctx, ca.Options{Kube: client, Namespace: ns})
//	go s.Run(ctx)
//	g := leangrpc.NewServer(leangrpc.Options{TLS: s.MutualTLSConfig()}) // client certificates verified if given
//	s.Register(g)
package ca
