package simulate

// A dump's @type fields must resolve to the extension types weftd sends.
import _ "github.com/weftmesh/weft/internal/envoytypes"
