package translate

import "strings"

// hostMatches reports whether a (possibly wildcard) config host covers a
// service host: "*" covers all, "*.example.com" covers its subdomains.
func hostMatches(pattern, host string) bool {
	if pattern == host || pattern == "*" {
		return true
	}
	if strings.HasPrefix(pattern, "*.") {
		return strings.HasSuffix(host, pattern[1:])
	}
	return false
}

// specificity ranks patterns: exact beats any wildcard, longer wildcards
// beat shorter ones.
func specificity(pattern string) int {
	if !strings.HasPrefix(pattern, "*") {
		return 1 << 20
	}
	return len(pattern)
}

// hostIndex finds the config entries bound to a host without scanning all
// of them: exact hosts by map, wildcards by a (short) list.
type hostIndex[T any] struct {
	exact     map[string][]T
	wildcards []wildcardEntry[T]
}

type wildcardEntry[T any] struct {
	pattern string
	item    T
}

func newHostIndex[T any]() *hostIndex[T] {
	return &hostIndex[T]{exact: map[string][]T{}}
}

// add keeps insertion order, so callers add oldest first.
func (h *hostIndex[T]) add(pattern string, item T) {
	if strings.HasPrefix(pattern, "*") {
		h.wildcards = append(h.wildcards, wildcardEntry[T]{pattern, item})
		return
	}
	h.exact[pattern] = append(h.exact[pattern], item)
}

// lookup returns the entries of the most specific pattern covering host.
func (h *hostIndex[T]) lookup(host string) []T {
	if items := h.exact[host]; len(items) > 0 {
		return items
	}
	var out []T
	best := -1
	for _, w := range h.wildcards {
		if !hostMatches(w.pattern, host) {
			continue
		}
		switch s := specificity(w.pattern); {
		case s > best:
			best, out = s, []T{w.item}
		case s == best:
			out = append(out, w.item)
		}
	}
	return out
}

// same returns the entries added under exactly pattern.
func (h *hostIndex[T]) same(pattern string) []T {
	if !strings.HasPrefix(pattern, "*") {
		return h.exact[pattern]
	}
	var out []T
	for _, w := range h.wildcards {
		if w.pattern == pattern {
			out = append(out, w.item)
		}
	}
	return out
}
