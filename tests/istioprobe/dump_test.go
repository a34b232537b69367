//go:build istioprobe

package istioprobe

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/weftmesh/weft/pilot/simulate"
)

// dumpListener writes each filter chain's name, match, transport socket
// and filters: istiod's own filter types do not print as JSON here.
func dumpListener(l *listenerv3.Listener) string {
	s := "LISTENER " + l.Name + "\n"
	for _, fc := range append(l.FilterChains, l.DefaultFilterChain) {
		if fc == nil {
			continue
		}
		s += "  CHAIN " + fc.Name + " match=" + compact(fc.FilterChainMatch) + " socket=" + compact(fc.TransportSocket) + " filters="
		for _, f := range fc.Filters {
			s += f.Name + ","
		}
		s += "\n"
	}
	return s
}

// dumpConfig writes what istiod sent a case's proxy (listeners, clusters)
// as JSON under $PROBE_DUMP, to read istiod's config beside weft's.
func dumpConfig(t *testing.T, name string, cfg *simulate.Config) {
	dir := os.Getenv("PROBE_DUMP")
	if dir == "" {
		return
	}
	var out []byte
	for _, l := range cfg.Listeners {
		out = append(out, dumpListener(l)...)
	}
	for _, c := range cfg.Clusters {
		out = append(append(out, protojson.Format(c)...), '\n')
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func compact(m proto.Message) string {
	b, _ := protojson.MarshalOptions{}.Marshal(m)
	return string(b)
}
