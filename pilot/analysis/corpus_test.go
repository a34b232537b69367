package analysis

import (
	"os"
	"slices"
	"strings"
	"testing"
)

const corpusDir = "../validation/testdata/corpus/"

// corpusCase is one "#### name" block of a corpus file.
type corpusCase struct {
	name   string
	want   []string // "CODE field"
	body   string
	starts int // line of the block in the file, for failure messages
}

func readCorpus(t *testing.T, file string) []corpusCase {
	t.Helper()
	data, err := os.ReadFile(corpusDir + file)
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	for i, line := range strings.SplitAfter(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "#### "); ok {
			cases = append(cases, corpusCase{name: strings.TrimSpace(name), starts: i + 1})
			continue
		}
		if len(cases) == 0 {
			continue
		}
		c := &cases[len(cases)-1]
		if exp, ok := strings.CutPrefix(line, "# expect: "); ok {
			c.want = append(c.want, strings.TrimSpace(exp))
		}
		c.body += line
	}
	return cases
}

// TestCorpusInvalid: every invalid case yields exactly its expected codes
// and field paths, each message naming the case's file position.
func TestCorpusInvalid(t *testing.T) {
	cases := readCorpus(t, "invalid.yaml")
	if len(cases) < 100 {
		t.Fatalf("%d invalid cases, want at least 100", len(cases))
	}
	for _, c := range cases {
		in := []Input{{Name: c.name + ".yaml", Data: []byte(c.body)}}
		// validate checks each object alone; the corpus' cross-object cases are analyze's.
		msgs := append(Validate(in), crossObject(Analyze(in, Options{}))...)
		var got []string
		for _, m := range msgs {
			if m.Code == CodeUnsupportedField || m.Code == CodeUnsupportedKind {
				continue // warnings, checked against the support table in support_test.go
			}
			got = append(got, strings.TrimSpace(m.Code+" "+m.Err.Field))
			if m.Err.File != c.name+".yaml" || m.Severity != Error {
				t.Errorf("%s: message without position or below Error: %s", c.name, m)
			}
		}
		slices.Sort(got)
		slices.Sort(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("invalid.yaml:%d %s: got %q, want %q\n%v", c.starts, c.name, got, c.want, msgs)
		}
	}
}

// TestCorpusValid: every valid case passes validate and analyze's
// per-resource checks, and together the cases cover every kind.
func TestCorpusValid(t *testing.T) {
	cases := readCorpus(t, "valid.yaml")
	if len(cases) < 30 {
		t.Fatalf("%d valid cases, want at least 30", len(cases))
	}
	kinds := map[string]bool{}
	for _, c := range cases {
		in := Input{Name: c.name + ".yaml", Data: []byte(c.body)}
		// Valid config may still set what weft does not act on: a warning, never an error.
		if msgs := Validate([]Input{in}); HasErrors(msgs) {
			t.Errorf("valid.yaml:%d %s: %v", c.starts, c.name, msgs)
		}
		snap, _ := Load([]Input{in})
		for _, o := range snap.Objects() {
			kinds[o.Key.Kind] = true
		}
	}
	for _, k := range []string{"VirtualService", "DestinationRule", "ServiceEntry", "WorkloadEntry", "Sidecar", "Gateway",
		"PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication", "Service", "EndpointSlice", "Pod", "Namespace"} {
		if !kinds[k] {
			t.Errorf("no valid case of kind %s", k)
		}
	}
}

// crossObject keeps analyze's messages about references between objects.
func crossObject(msgs []Message) []Message {
	var out []Message
	for _, m := range msgs {
		if m.Code == CodeDuplicate || (m.Code == CodeSubsetNotFound && strings.HasSuffix(m.Err.Field, ".subset")) {
			out = append(out, m)
		}
	}
	return out
}
