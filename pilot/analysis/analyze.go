package analysis

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/guard"
)

// Context is what analyzers read: the snapshot and weft's own translation of
// it, so analyze agrees with what weftd would actually serve.
type Context struct {
	Snap  *config.Snapshot
	Mesh  *mesh.Mesh
	hosts map[string]*mesh.Service
	out   []Message
}

func newContext(s *config.Snapshot) *Context {
	m := guard.Translate(s, "analyze") // as weftd does, so analyze names the resources it leaves out
	c := &Context{Snap: s, Mesh: m, hosts: map[string]*mesh.Service{}}
	for _, svc := range c.Mesh.Services {
		c.hosts[svc.Hostname] = svc
	}
	return c
}

// report records a finding about key at field; origin comes from the snapshot.
func (c *Context) report(code string, key config.Key, field, format string, args ...any) {
	e := config.NewError(c.Snap.Origins[key], key, field, fmt.Sprintf(format, args...))
	c.out = append(c.out, Message{Code: code, Severity: severityOf(code), Err: e})
}

// analyzer is one check; each reports under its own codes only.
type analyzer func(*Context)

// analyzers run in this order; their output is sorted afterwards anyway.
var analyzers = []analyzer{
	analyzeHosts, analyzeTranslateDiagnostics, analyzeSubsetPods, analyzeUnreachable,
	analyzeMTLS, analyzeInjection, analyzePortNames, analyzeAnnotations,
	analyzeDeprecated, analyzeServerVerification, analyzeInjectionLabels,
	analyzeSEAddresses, analyzeSEProtocols, analyzeDestinationPorts,
}

// Options tune Analyze.
type Options struct {
	// Suppress drops messages matching any of these.
	Suppress []Suppression
}

// Analyze is `weftctl analyze`: everything Validate reports plus the
// cross-resource analyzers, minus suppressed messages.
func Analyze(inputs []Input, opts Options) []Message {
	snap, msgs := Load(inputs)
	msgs = AnalyzeSnapshot(snap, msgs, opts)
	locateFields(inputs, msgs)
	return msgs
}

// AnalyzeSnapshot analyzes s; pre are messages found while loading it.
func AnalyzeSnapshot(s *config.Snapshot, pre []Message, opts Options) []Message {
	msgs := append(pre, validateSnapshot(s)...)
	s.Each(func(o config.Object) { // unsupported fields come from translation's diagnostics
		if !config.Implemented(o.Key.Kind) {
			msgs = append(msgs, supportMessages(o)...)
		}
	})
	c := newContext(s)
	for _, a := range analyzers {
		a(c)
	}
	msgs = append(msgs, c.out...)
	return suppress(msgs, opts.Suppress)
}

// Suppression is -S CODE=RESOURCE: RESOURCE is "Kind ns/name" (or
// "Kind name") where * matches any run of characters.
type Suppression struct {
	Code     string
	resource *regexp.Regexp
}

// ParseSuppression parses "CODE=Kind ns/name" (the resource part may be
// omitted or "*" to silence a code everywhere).
func ParseSuppression(s string) (Suppression, error) {
	code, res, _ := strings.Cut(s, "=")
	code = strings.TrimSpace(code)
	if code == "" {
		return Suppression{}, fmt.Errorf("suppression %q: want CODE=RESOURCE, e.g. WFT0105=\"VirtualService default/reviews\"", s)
	}
	res = strings.TrimSpace(res)
	if res == "" {
		res = "*"
	}
	pat := "^" + strings.ReplaceAll(regexp.QuoteMeta(res), `\*`, ".*") + "$"
	return Suppression{Code: code, resource: regexp.MustCompile(pat)}, nil
}

func (s Suppression) matches(m Message) bool {
	return (s.Code == "*" || strings.EqualFold(s.Code, m.Code)) && s.resource.MatchString(m.Resource())
}

func suppress(msgs []Message, sups []Suppression) []Message {
	out := msgs[:0:0]
	for _, m := range msgs {
		keep := true
		for _, s := range sups {
			if s.matches(m) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, m)
		}
	}
	return out
}
