//lint:file-ignore SA1019 Envoy still honours the deprecated append field, and so must a simulator of Envoy.

package simulate

import (
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// headerLevel is one level's header edits (weighted cluster, route,
// virtual host or route config).
type headerLevel struct {
	add    []*corev3.HeaderValueOption
	remove []string
}

// headerChanges applies every level's edits in Envoy's order: most
// specific first (weighted cluster, route, virtual host, route config), so
// that a later, less specific level overrides; most_specific_header_mutations_wins
// reverses the order. Weighted clusters' edits count only when every
// request goes to that one cluster.
func headerChanges(rc *routev3.RouteConfiguration, m *routed, req *Request, res *Result) error {
	reqLevels, resp := headerLevels(rc, m, res)
	if rc.GetMostSpecificHeaderMutationsWins() {
		slices.Reverse(reqLevels)
		slices.Reverse(resp)
	}
	reqEdit := headerEdit{changes: &res.Action.RequestHeaders, exists: requestHeaderExists(req, &res.Action.RequestHeaders)}
	respEdit := headerEdit{changes: &res.Action.ResponseHeaders}
	for _, l := range reqLevels {
		reqEdit.apply(l, res)
	}
	for _, l := range resp {
		respEdit.apply(l, res)
	}
	return nil
}

// headerLevels lists the request and response edits, most specific first.
func headerLevels(rc *routev3.RouteConfiguration, m *routed, res *Result) (req, resp []headerLevel) {
	if wc := selectedClusterWeight(m.route.GetRoute(), res); wc != nil {
		req = append(req, headerLevel{wc.GetRequestHeadersToAdd(), wc.GetRequestHeadersToRemove()})
		resp = append(resp, headerLevel{wc.GetResponseHeadersToAdd(), wc.GetResponseHeadersToRemove()})
	} else if hasClusterHeaderEdits(m.route.GetRoute()) {
		res.step("action", "weighted clusters carry their own header edits; they apply only to the requests each receives and are not listed")
	}
	r, vh := m.route, m.vh
	req = append(req,
		headerLevel{r.GetRequestHeadersToAdd(), r.GetRequestHeadersToRemove()},
		headerLevel{vh.GetRequestHeadersToAdd(), vh.GetRequestHeadersToRemove()},
		headerLevel{rc.GetRequestHeadersToAdd(), rc.GetRequestHeadersToRemove()})
	resp = append(resp,
		headerLevel{r.GetResponseHeadersToAdd(), r.GetResponseHeadersToRemove()},
		headerLevel{vh.GetResponseHeadersToAdd(), vh.GetResponseHeadersToRemove()},
		headerLevel{rc.GetResponseHeadersToAdd(), rc.GetResponseHeadersToRemove()})
	return req, resp
}

func hasClusterHeaderEdits(a *routev3.RouteAction) bool {
	for _, c := range a.GetWeightedClusters().GetClusters() {
		if len(c.GetRequestHeadersToAdd())+len(c.GetRequestHeadersToRemove())+len(c.GetResponseHeadersToAdd())+len(c.GetResponseHeadersToRemove()) > 0 {
			return true
		}
	}
	return false
}

// headerEdit accumulates edits into changes. exists says whether the
// original message carries a header; nil for responses, which the
// simulator never sees.
type headerEdit struct {
	changes *HeaderChanges
	exists  func(string) bool
}

// apply: within a level Envoy removes before it adds.
func (e headerEdit) apply(l headerLevel, res *Result) {
	for _, name := range l.remove {
		e.remove(name)
	}
	for _, o := range l.add {
		e.add(o, res)
	}
}

func (e headerEdit) remove(name string) {
	c := e.changes
	delete(c.Set, name)
	delete(c.Append, name)
	if !slices.Contains(c.Remove, name) {
		c.Remove = append(c.Remove, name)
	}
}

// add follows HeaderValueOption: an empty value is skipped unless
// keep_empty_value; the deprecated append, when set, chooses between
// appending and overwriting.
func (e headerEdit) add(o *corev3.HeaderValueOption, res *Result) {
	key, value := o.GetHeader().GetKey(), o.GetHeader().GetValue()
	if value == "" && !o.GetKeepEmptyValue() {
		return
	}
	switch appendAction(o) {
	case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
		e.append(key, value)
	case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
		e.set(key, value)
	case corev3.HeaderValueOption_ADD_IF_ABSENT:
		e.conditional(key, value, false, res)
	case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:
		e.conditional(key, value, true, res)
	}
}

func appendAction(o *corev3.HeaderValueOption) corev3.HeaderValueOption_HeaderAppendAction {
	if o.GetAppend() == nil {
		return o.GetAppendAction()
	}
	if o.GetAppend().GetValue() {
		return corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD
	}
	return corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
}

func (e headerEdit) set(key, value string) {
	if e.changes.Set == nil {
		e.changes.Set = map[string]string{}
	}
	delete(e.changes.Append, key)
	e.changes.Set[key] = value
}

// append adds a value; a header already set or appended here gets the
// value joined with a comma, as a multi-valued header reads.
func (e headerEdit) append(key, value string) {
	c := e.changes
	if v, ok := c.Set[key]; ok {
		c.Set[key] = v + "," + value
		return
	}
	if c.Append == nil {
		c.Append = map[string]string{}
	}
	if v, ok := c.Append[key]; ok {
		value = v + "," + value
	}
	c.Append[key] = value
}

// conditional sets key only if it exists (overwrite) or only if it does
// not (add-if-absent); on responses that is unknown, so it is traced.
func (e headerEdit) conditional(key, value string, ifExists bool, res *Result) {
	if e.exists == nil {
		res.step("action", "response header %s=%s depends on the upstream response", key, value)
		return
	}
	_, set := e.changes.Set[key]
	_, appended := e.changes.Append[key]
	if (e.exists(key) || set || appended) == ifExists {
		e.set(key, value)
	}
}

// requestHeaderExists: the request carries the header and no edit
// removed it.
func requestHeaderExists(req *Request, c *HeaderChanges) func(string) bool {
	return func(name string) bool {
		_, ok := req.header(name)
		return ok && !slices.Contains(c.Remove, name)
	}
}
