package envoystandin

// Envoy links in every extension type; the stand-in must know those weftd
// sends, or it could not decode (and would NACK) what Envoy accepts.
import _ "github.com/weftmesh/weft/internal/envoytypes"
