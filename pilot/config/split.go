package config

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

// document is one non-empty YAML/JSON document of a file.
type document struct {
	index int    // 0-based among the file's non-empty documents
	first int    // 1-based line of the first line of body
	line  int    // 1-based line where the content starts (past blanks and comments)
	body  []byte // the document's text, from line first
}

// splitYAML cuts data at "---" separator lines, tracking line numbers so
// errors can point into the file. Documents with only blanks and comments
// are skipped and not counted.
func splitYAML(data []byte) []document {
	var docs []document
	var cur []string
	first := 1
	flush := func() {
		if line, ok := contentLine(cur); ok {
			body := []byte(strings.Join(cur, "\n"))
			docs = append(docs, document{index: len(docs), first: first, line: first + line, body: body})
		}
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		rest, isSep := separator(l)
		if !isSep {
			cur = append(cur, l)
			continue
		}
		flush()
		// Content after "--- " (e.g. "--- {a: 1}") belongs to the next document.
		cur, first = []string{rest}, i+1
	}
	flush()
	return docs
}

// separator reports whether l is a "---" document separator, returning any
// content that follows it on the same line.
func separator(l string) (string, bool) {
	l = strings.TrimRight(l, " \t\r")
	if l == "---" {
		return "", true
	}
	if strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "---\t") {
		return strings.TrimSpace(l[3:]), true
	}
	return "", false
}

// contentLine returns the 0-based index of the first line of lines that is
// neither blank, a comment nor a directive, and whether there is one.
func contentLine(lines []string) (int, bool) {
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || t == "..." || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "%") {
			continue
		}
		return i, true
	}
	return 0, false
}

// isJSON reports whether data looks like a JSON document (starts with '{'
// or '['), which is decoded as one document rather than split on "---".
func isJSON(data []byte) bool {
	t := trimLeftSpace(data)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// lineAt is the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = max(0, min(off, int64(len(data))))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

var yamlLineRE = regexp.MustCompile(`line (\d+): `)

// yamlErrorLine pulls the 1-based line a YAML parser error points at, and
// the message without the "yaml: line N:" noise.
func yamlErrorLine(msg string) (int, string) {
	m := yamlLineRE.FindStringSubmatchIndex(msg)
	if m == nil {
		return 0, strings.TrimPrefix(msg, "yaml: ")
	}
	n, _ := strconv.Atoi(msg[m[2]:m[3]])
	rest := msg[m[1]:]
	if p := strings.TrimSuffix(strings.TrimSpace(msg[:m[0]]), "\n"); p != "yaml:" && p != "" {
		rest = strings.TrimPrefix(p, "yaml: ") + " " + rest
	}
	return n, rest
}
