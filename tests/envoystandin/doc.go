// Package envoystandin is a test stand-in for Envoy, which cannot be
// installed on the test machines. It reads the Envoy bootstrap weft-agent
// writes, fetches the workload certificate and roots from the agent over
// SDS, dials the ADS cluster the bootstrap names with that certificate,
// verifies the server's chain and SAN as the bootstrap says, and follows
// CDS, EDS, LDS and RDS over one state-of-the-world ADS stream the way
// Envoy does: wildcard CDS and LDS, EDS for the EDS clusters' service
// names, RDS for the route configs the listeners' HTTP connection managers
// name, an ACK or NACK for every response, and the stream kept open for
// later pushes.
//
// Use from an end-to-end test, given the bootstrap weft-agent wrote:
//
//	e, err := envoystandin.StartFromFile(ctx, bootstrapPath)
//	if err != nil { // SDS, TLS (errors.Is ErrSANMismatch / ErrUntrustedChain) or dial failure
//		t.Fatal(err)
//	}
//	defer e.Close()
//	s, err := e.WaitFor(ctx, func(s envoystandin.Snapshot) bool {
//		return s.Routes["9080"] != nil && len(s.Endpoints) == 2
//	})
//	// err carries the server's status (status.Code(err)) if it refused the
//	// stream; s.Listeners, s.Routes, s.Clusters, s.Endpoints hold the
//	// decoded resources by name; e.NACKs() lists anything Envoy would reject.
//
// What it does not do: delta xDS, reconnecting after the stream ends,
// Envoy's warming order (LDS is requested with CDS, not after EDS), and
// any traffic.
package envoystandin
