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
