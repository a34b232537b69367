package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
)

// secretRef is one certificate a proxy's config asks for: an SDS secret
// (Envoy) or a certificate provider instance (proxyless gRPC). weftd does
// not serve the certificates themselves (the agent does), so "secrets"
// shows which ones each cluster and listener needs.
type secretRef struct {
	Resource string `json:"resource"`
	Source   string `json:"source"` // sds or certificate-provider
	Name     string `json:"name"`
	Role     string `json:"role"` // identity or root
}

// secretKeys maps the protojson keys naming certificates to what they are.
var secretKeys = map[string]struct{ source, role, nameKey string }{
	"tlsCertificateProviderInstance":   {"certificate-provider", "identity", "instanceName"},
	"caCertificateProviderInstance":    {"certificate-provider", "root", "instanceName"},
	"tlsCertificateSdsSecretConfigs":   {"sds", "identity", "name"},
	"validationContextSdsSecretConfig": {"sds", "root", "name"},
}

// secretRefs walks clusters and listeners for certificate references.
func secretRefs(d dump) []secretRef {
	out := []secretRef{} // [] rather than null in -o json
	for _, t := range []string{xdsTypes[0].url, xdsTypes[2].url} {
		for _, res := range d[t] {
			seen := map[secretRef]bool{}
			walkSecrets(res, func(source, role, name string) {
				ref := secretRef{Resource: str(res, "name"), Source: source, Name: name, Role: role}
				if !seen[ref] {
					seen[ref] = true
					out = append(out, ref)
				}
			})
		}
	}
	// Map walks are unordered; sort so output is stable.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Role+a.Source+a.Name < b.Role+b.Source+b.Name
	})
	return out
}

// walkSecrets visits v depth-first; protojson output is a finite tree.
func walkSecrets(v any, found func(source, role, name string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if sk, ok := secretKeys[k]; ok {
				for _, ref := range asList(child) {
					found(sk.source, sk.role, str(ref, sk.nameKey))
				}
			}
			walkSecrets(child, found)
		}
	case []any:
		for _, child := range v {
			walkSecrets(child, found)
		}
	}
}

// asList treats a single object and a list of objects alike.
func asList(v any) []map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}
	case []any:
		return list(map[string]any{"x": v}, "x")
	}
	return nil
}

func writeSecrets(w io.Writer, refs []secretRef) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tSOURCE\tNAME\tROLE")
	for _, r := range refs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Resource, r.Source, r.Name, r.Role)
	}
	return tw.Flush()
}
