package xds

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/proto"
)

// Bounds on what a client may claim about itself before it is served.
// Istio's ids are "sidecar~IP~POD.NS~NS.svc.cluster.local" (pod names ≤ 253,
// namespaces ≤ 63); its metadata carries the pod's labels and annotations,
// which Kubernetes caps at 256 KiB together.
const (
	MaxNodeIDBytes       = 1024
	MaxNodeMetadataBytes = 512 << 10
)

// checkNode refuses implausible node ids and metadata: whatever a client
// sends here is held, logged and keyed on for as long as it is connected.
func checkNode(node *core.Node) error {
	id := node.GetId()
	switch {
	case len(id) > MaxNodeIDBytes:
		return fmt.Errorf("node id %s is %d bytes, more than %d", ShortID(id), len(id), MaxNodeIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("node id %s is not valid UTF-8", ShortID(id))
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("node id %s holds a control or space character %U", ShortID(id), r)
		}
	}
	if n := proto.Size(node.GetMetadata()); n > MaxNodeMetadataBytes {
		return fmt.Errorf("node %s: metadata is %d bytes, more than %d", ShortID(id), n, MaxNodeMetadataBytes)
	}
	return nil
}

// shortIDBytes is how much of a refused id a message or log line quotes.
const shortIDBytes = 96

// ShortID quotes at most shortIDBytes of a node id, for messages about ids
// that were refused and so may be huge or hold anything.
func ShortID(id string) string {
	head, cut := Truncate(id, shortIDBytes)
	if !cut {
		return strconv.Quote(id)
	}
	return strconv.Quote(head) + "…(" + strconv.Itoa(len(id)) + " bytes)"
}

// Truncate returns at most n bytes of s, cut on a rune boundary, and
// whether anything was cut: client text bounded before it is logged.
func Truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}
