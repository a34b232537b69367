package build

import (
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

func applyHeaders(r *routev3.Route, h mesh.HeaderOps) {
	r.RequestHeadersToAdd, r.RequestHeadersToRemove = requestHeaders(h)
	r.ResponseHeadersToAdd, r.ResponseHeadersToRemove = responseHeaders(h)
}

func requestHeaders(h mesh.HeaderOps) ([]*corev3.HeaderValueOption, []string) {
	return headerOptions(h.RequestSet, h.RequestAdd), h.RequestRemove
}

func responseHeaders(h mesh.HeaderOps) ([]*corev3.HeaderValueOption, []string) {
	return headerOptions(h.ResponseSet, h.ResponseAdd), h.ResponseRemove
}

// headerOptions maps Istio's set (replace) and add (append) onto Envoy's
// append actions, in sorted order so output is deterministic.
func headerOptions(set, add map[string]string) []*corev3.HeaderValueOption {
	var out []*corev3.HeaderValueOption
	for _, k := range sortedKeys(set) {
		out = append(out, headerOption(k, set[k], corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD))
	}
	for _, k := range sortedKeys(add) {
		out = append(out, headerOption(k, add[k], corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD))
	}
	return out
}

func headerOption(k, v string, action corev3.HeaderValueOption_HeaderAppendAction) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: k, Value: v},
		AppendAction: action,
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
