package support

// row is one table entry: key is a field path in table-key notation ("" is
// the whole kind). A subtree row rates everything under key as well, even
// fields a later API version adds; only Unsupported rows may be subtrees.
type row struct {
	key     string
	entry   Entry
	subtree bool
}

// Shorthands keep the table readable.
const (
	yes  = Supported
	part = Partial
	no   = Unsupported
)

// gatewayCol: weft configures no gateway proxies (Gateway is not
// translated), so every field is unsupported for them.
const gatewayCol = Unsupported

// mesh rates a field for sidecars and proxyless clients; gateways never
// get weft configuration.
func mesh(sidecar, proxyless Level, note string) Entry {
	return Entry{Sidecar: sidecar, Proxyless: proxyless, Gateway: gatewayCol, Note: note}
}

// both is a field sidecars and proxyless clients both act on.
func both() Entry { return mesh(yes, yes, "") }

// none is a field no proxy kind acts on.
func none(note string) Entry { return mesh(no, no, note) }

// Whole-kind notes.
const (
	notByWeft   = "not supported by weft"
	notEnforced = "not supported by weft: accepted and validated, but not enforced by any proxy"
	gatewayNote = "not supported by weft: weft configures no gateway proxies; accepted and validated only"
)

// wholeKind is the table of a kind weft does not implement at all.
func wholeKind(note string) []row {
	return []row{{key: "", entry: none(note), subtree: true}}
}

// index finds rows by key without scanning the table: Check runs on every
// resource of a snapshot.
type index struct {
	exact    map[string]row
	subtrees []row
}

func newIndex(rows []row) *index {
	ix := &index{exact: make(map[string]row, len(rows))}
	for _, r := range rows {
		ix.exact[r.key] = r
		if r.subtree {
			ix.subtrees = append(ix.subtrees, r)
		}
	}
	return ix
}

// lookup finds the row rating key: its own row, else the nearest subtree
// row above it. ok is false when the table does not cover key.
func (ix *index) lookup(key string) (row, bool) {
	if r, ok := ix.exact[key]; ok {
		return r, true
	}
	var best row
	found := false
	for _, r := range ix.subtrees {
		if covers(r.key, key) && (!found || len(r.key) > len(best.key)) {
			best, found = r, true
		}
	}
	return best, found
}

// covers reports whether key lies strictly under the subtree at root.
func covers(root, key string) bool {
	if root == "" {
		return key != ""
	}
	return len(key) > len(root) && key[:len(root)] == root && key[len(root)] == '.'
}
