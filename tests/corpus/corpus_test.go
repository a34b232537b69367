// Package corpus checks weftctl validate against the YAML corpus in this
// directory, whose annotations record what istioctl validate does with each
// document (README.md): weft must reach the same verdict, and every invalid
// document must be reported at the file, line and field path marked.
package corpus

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/analysis"
)

// doc is one annotated document of a corpus file.
type doc struct {
	file       string
	first      int // 1-based line of the document's first line
	last       int
	verdict    string         // valid, invalid, warning
	wantErrors map[int]string // line -> field path
	apiSkew    bool           // a field of the newer API istioctl lacked: valid for weft
}

var (
	verdictRE = regexp.MustCompile(`^#\s*verdict:\s*(\w+)`)
	wantRE    = regexp.MustCompile(`#\s*want-error:\s*(\S+)`)
)

// readDocs splits a corpus file at lines that are exactly "---".
func readDocs(t *testing.T, path string, data []byte) []*doc {
	var docs []*doc
	var cur *doc
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		if strings.TrimRight(line, " \r") == "---" {
			cur = nil
			continue
		}
		if cur == nil {
			cur = &doc{file: path, first: n, wantErrors: map[int]string{}}
			docs = append(docs, cur)
		}
		cur.last = n
		if m := verdictRE.FindStringSubmatch(line); m != nil && cur.verdict == "" {
			cur.verdict = m[1]
		}
		if m := wantRE.FindStringSubmatch(line); m != nil {
			cur.wantErrors[n] = m[1]
		}
		if strings.Contains(line, "# api-skew:") {
			cur.apiSkew = true
		}
	}
	var out []*doc
	for _, d := range docs {
		if d.verdict != "" {
			out = append(out, d)
		} else if strings.TrimSpace(string(data)) != "" && hasContent(data, d) {
			t.Errorf("%s:%d: document without a # verdict: line", path, d.first)
		}
	}
	return out
}

func hasContent(data []byte, d *doc) bool {
	lines := strings.Split(string(data), "\n")[d.first-1 : d.last]
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// corpusFiles lists every YAML file under the corpus, sorted.
func corpusFiles(t *testing.T) []string {
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// verdictOf is weft's verdict on one document: its errors and the error
// positions and paths it reported.
type verdictOf struct {
	errors []analysis.Message
}

func (v verdictOf) has(line int, field string) bool {
	for _, m := range v.errors {
		if m.Err.Line == line && m.Err.Field == field {
			return true
		}
	}
	return false
}

func (v verdictOf) String() string {
	var parts []string
	for _, m := range v.errors {
		parts = append(parts, m.String())
	}
	return strings.Join(parts, "\n\t")
}

// judge runs weftctl validate's code on the whole file and assigns each
// error to the document whose lines hold it.
func judge(path string, data []byte, docs []*doc) (map[*doc]verdictOf, []analysis.Message) {
	out := map[*doc]verdictOf{}
	var stray []analysis.Message
	for _, m := range analysis.Validate([]analysis.Input{{Name: path, Data: data}}) {
		if m.Severity < analysis.Error {
			continue
		}
		d := docAt(docs, m.Err.Line)
		if d == nil {
			stray = append(stray, m)
			continue
		}
		v := out[d]
		v.errors = append(v.errors, m)
		out[d] = v
	}
	return out, stray
}

func docAt(docs []*doc, line int) *doc {
	for _, d := range docs {
		if line >= d.first && line <= d.last {
			return d
		}
	}
	return nil
}

// mismatch describes how weft differs from the annotation, or "".
func mismatch(d *doc, v verdictOf) string {
	wantInvalid := d.verdict == "invalid" && !d.apiSkew
	switch {
	case !wantInvalid && len(v.errors) > 0:
		return fmt.Sprintf("istioctl says %s, weft rejects:\n\t%s", d.verdict, v)
	case wantInvalid && len(v.errors) == 0:
		return fmt.Sprintf("istioctl rejects (%s), weft accepts", describeWants(d))
	}
	var missing []string
	for line, field := range d.wantErrors {
		if wantInvalid && !v.has(line, field) {
			missing = append(missing, fmt.Sprintf("%s at line %d", field, line))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Sprintf("weft rejects, but not at %s:\n\t%s", strings.Join(missing, ", "), v)
	}
	return ""
}

func describeWants(d *doc) string {
	var w []string
	for line, f := range d.wantErrors {
		w = append(w, fmt.Sprintf("%s at line %d", f, line))
	}
	sort.Strings(w)
	return strings.Join(w, ", ")
}

func TestCorpusAgreesWithIstioctl(t *testing.T) {
	known := knownDifferences(t)
	var docs, invalid int
	for _, path := range corpusFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ds := readDocs(t, path, data)
		verdicts, stray := judge(path, data, ds)
		for _, m := range stray {
			t.Errorf("%s: an error outside every annotated document: %s", path, m)
		}
		for _, d := range ds {
			docs++
			if d.verdict == "invalid" {
				invalid++
			}
			id := fmt.Sprintf("%s:%d", d.file, d.first)
			got := mismatch(d, verdicts[d])
			switch reason, ok := known[id]; {
			case got != "" && !ok:
				t.Errorf("%s: %s", id, got)
			case got == "" && ok:
				t.Errorf("%s: listed in known-differences.txt (%s) but weft now agrees with istioctl: remove the line", id, reason)
			}
		}
	}
	if docs < 500 || invalid < 300 {
		t.Errorf("corpus has %d documents, %d invalid; want at least 500 and 300", docs, invalid)
	}
	t.Logf("%d documents (%d invalid), %d known differences", docs, invalid, len(known))
}

// knownDifferences reads known-differences*.txt: "file:line reason" per
// line, for documents where weft deliberately or for now disagrees.
func knownDifferences(t *testing.T) map[string]string {
	out := map[string]string{}
	files, _ := filepath.Glob("known-differences*.txt")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		readKnown(string(data), out)
	}
	return out
}

func readKnown(data string, out map[string]string) {
	for _, line := range strings.Split(data, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		out[id] = strings.TrimSpace(reason)
	}
}
