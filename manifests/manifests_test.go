package manifests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/config/kube"
)

// Paths are relative to this package's directory, where go test runs.
const (
	installFile = "install.yaml"
	crdDir      = "crds"
	chartDir    = "charts/weft"
	chartCRDDir = "charts/weft/crds"
	renderDir   = "../hack/helmrender"

	namespace  = "weft-system"
	staleHint  = "manifests/install.yaml is stale: run hack/render-install.sh"
	crdVersion = "apiextensions.k8s.io/v1"
)

// ---------------------------------------------------------------------------
// Parsing

// key names an object the way the API server does.
type key struct{ APIVersion, Kind, Namespace, Name string }

func (k key) String() string {
	if k.Namespace == "" {
		return fmt.Sprintf("%s %s %s", k.APIVersion, k.Kind, k.Name)
	}
	return fmt.Sprintf("%s %s %s/%s", k.APIVersion, k.Kind, k.Namespace, k.Name)
}

// object is one document of a multi-document YAML file.
type object struct {
	key key
	obj map[string]any // the document as unstructured JSON-like data
	raw []byte         // the document's own YAML, for strict typed decoding
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// parseDocs splits data into its non-empty documents and parses each one
// strictly: a key given twice is an error, as it is for kubectl apply.
func parseDocs(name string, data []byte) ([]object, error) {
	var objs []object
	for i, doc := range docSeparator.Split(string(data), -1) {
		if onlyComments(doc) {
			continue
		}
		var m map[string]any
		if err := yaml.UnmarshalStrict([]byte(doc), &m); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		meta, _ := m["metadata"].(map[string]any)
		k := key{APIVersion: str(m["apiVersion"]), Kind: str(m["kind"]), Namespace: str(meta["namespace"]), Name: str(meta["name"])}
		if k.APIVersion == "" || k.Kind == "" || k.Name == "" {
			return nil, fmt.Errorf("%s: document %d lacks apiVersion, kind or metadata.name", name, i)
		}
		objs = append(objs, object{key: k, obj: m, raw: []byte(doc)})
	}
	return objs, nil
}

func onlyComments(doc string) bool {
	for line := range strings.SplitSeq(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func str(v any) string { s, _ := v.(string); return s }

func parseFile(t *testing.T, path string) []object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	objs, err := parseDocs(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// index maps objects by key and fails on a key given twice: kubectl would
// silently apply the later one over the earlier.
func index(t *testing.T, what string, objs []object) map[key]object {
	t.Helper()
	m := make(map[key]object, len(objs))
	for _, o := range objs {
		if _, dup := m[o.key]; dup {
			t.Fatalf("%s holds %s twice", what, o.key)
		}
		m[o.key] = o
	}
	return m
}

// install is manifests/install.yaml, parsed.
func install(t *testing.T) []object {
	t.Helper()
	objs := parseFile(t, installFile)
	if len(objs) == 0 {
		t.Fatalf("%s holds no objects", installFile)
	}
	return objs
}

// one returns install.yaml's only object of the given kind and name, decoded
// strictly (unknown fields are errors) into into.
func one(t *testing.T, kind, name string, into any) {
	t.Helper()
	var found []object
	for _, o := range install(t) {
		if o.key.Kind == kind && o.key.Name == name {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("install.yaml holds %d %s objects named %q, want 1", len(found), kind, name)
	}
	if err := yaml.UnmarshalStrict(found[0].raw, into); err != nil {
		t.Fatalf("%s: %v", found[0].key, err)
	}
}

// diff lists where a and b differ, as field paths, at most limit of them.
func diff(path string, a, b any, out *[]string, limit int) {
	if len(*out) >= limit {
		return
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		for _, k := range slices.Sorted(mapKeys(keys)) {
			x, inA := av[k]
			y, inB := bv[k]
			switch {
			case !inA:
				*out = append(*out, fmt.Sprintf("%s.%s: only in the rendered chart", path, k))
			case !inB:
				*out = append(*out, fmt.Sprintf("%s.%s: only in install.yaml", path, k))
			default:
				diff(path+"."+k, x, y, out, limit)
			}
			if len(*out) >= limit {
				return
			}
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			break
		}
		for i := range av {
			diff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], out, limit)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, fmt.Sprintf("%s: install.yaml has %s, the chart renders %s", path, short(a), short(b)))
	}
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func short(v any) string {
	b, _ := yaml.Marshal(v)
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// ---------------------------------------------------------------------------
// Freshness: install.yaml and the chart's crds/ against their sources.

// renderChart runs hack/helmrender, the program hack/render-install.sh uses,
// and returns what install.yaml should be. The first run builds Helm's SDK
// (about a minute on 2 cores); later runs hit the build cache.
func renderChart(t *testing.T, set ...string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building hack/helmrender (Helm's Go SDK)")
	}
	chart, err := filepath.Abs(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	args := []string{"run", ".", "-chart", chart}
	for _, kv := range set {
		args = append(args, "-set", kv)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = renderDir
	// helmrender is its own module; a go.work must not pull it into ours.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("rendering the chart (cd hack/helmrender && go run . -chart %s): %v\n%s", chart, err, stderr.String())
	}
	return out
}

func TestInstallYAMLIsUpToDate(t *testing.T) {
	rendered, err := parseDocs("rendered chart", renderChart(t))
	if err != nil {
		t.Fatal(err)
	}
	current := install(t)
	want, got := index(t, "the rendered chart", rendered), index(t, installFile, current)

	var problems []string
	for _, o := range rendered {
		cur, ok := got[o.key]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: rendered by the chart, missing from install.yaml", o.key))
			continue
		}
		var diffs []string
		diff(o.key.Kind, cur.obj, o.obj, &diffs, 10)
		for _, d := range diffs {
			problems = append(problems, fmt.Sprintf("%s: %s", o.key, d))
		}
	}
	for _, o := range current {
		if _, ok := want[o.key]; !ok {
			problems = append(problems, fmt.Sprintf("%s: in install.yaml, no longer rendered by the chart", o.key))
		}
	}
	// Order matters too: kubectl apply creates objects in file order, so
	// the Namespace must precede what lives in it.
	if len(problems) == 0 && !slices.EqualFunc(rendered, current, func(a, b object) bool { return a.key == b.key }) {
		problems = append(problems, "objects are in a different order than the chart renders them")
	}
	if len(problems) > 0 {
		t.Errorf("%s\n  %s", staleHint, strings.Join(problems, "\n  "))
	}
}

func TestChartCRDsMatchGeneratedCRDs(t *testing.T) {
	generated := yamlFiles(t, crdDir)
	copied := yamlFiles(t, chartCRDDir)
	if len(generated) == 0 {
		t.Fatalf("no CRDs in manifests/%s", crdDir)
	}
	for _, name := range generated {
		want, err := os.ReadFile(filepath.Join(crdDir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(chartCRDDir, name))
		switch {
		case os.IsNotExist(err):
			t.Errorf("manifests/%s/%s is missing from the chart: %s", crdDir, name, staleHint)
		case err != nil:
			t.Fatal(err)
		case !bytes.Equal(got, want):
			t.Errorf("manifests/%s/%s differs from manifests/%s/%s: %s", chartCRDDir, name, crdDir, name, staleHint)
		}
	}
	for _, name := range copied {
		if !slices.Contains(generated, name) {
			t.Errorf("manifests/%s/%s has no source in manifests/%s: %s", chartCRDDir, name, crdDir, staleHint)
		}
	}
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// TestEveryCRDIsInstalled needs no Helm: it holds even under -short.
func TestEveryCRDIsInstalled(t *testing.T) {
	installed := index(t, installFile, install(t))
	for _, name := range yamlFiles(t, crdDir) {
		t.Run(name, func(t *testing.T) {
			crds := parseFile(t, filepath.Join(crdDir, name))
			if len(crds) == 0 {
				t.Fatalf("%s holds no objects", name)
			}
			for _, crd := range crds {
				got, ok := installed[crd.key]
				if !ok {
					t.Errorf("%s (crds/%s) is not in install.yaml: %s", crd.key, name, staleHint)
					continue
				}
				var diffs []string
				diff(crd.key.Kind, got.obj, crd.obj, &diffs, 5)
				if len(diffs) > 0 {
					t.Errorf("%s in install.yaml differs from crds/%s: %s\n  %s", crd.key, name, staleHint, strings.Join(diffs, "\n  "))
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Validity for Kubernetes 1.36

// typedKinds decodes each non-CRD kind install.yaml may hold into its
// k8s.io/api type, strictly, so a misspelt or misplaced field fails here
// rather than at kubectl apply. A new kind in the chart must be added here.
var typedKinds = map[string]func() any{
	"v1 Namespace":                                    func() any { return &corev1.Namespace{} },
	"v1 ServiceAccount":                               func() any { return &corev1.ServiceAccount{} },
	"v1 Service":                                      func() any { return &corev1.Service{} },
	"v1 ConfigMap":                                    func() any { return &corev1.ConfigMap{} },
	"apps/v1 Deployment":                              func() any { return &appsv1.Deployment{} },
	"policy/v1 PodDisruptionBudget":                   func() any { return &policyv1.PodDisruptionBudget{} },
	"rbac.authorization.k8s.io/v1 ClusterRole":        func() any { return &rbacv1.ClusterRole{} },
	"rbac.authorization.k8s.io/v1 ClusterRoleBinding": func() any { return &rbacv1.ClusterRoleBinding{} },
	"rbac.authorization.k8s.io/v1 Role":               func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1 RoleBinding":        func() any { return &rbacv1.RoleBinding{} },
	"admissionregistration.k8s.io/v1 MutatingWebhookConfiguration": func() any {
		return &admissionregv1.MutatingWebhookConfiguration{}
	},
	"admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration": func() any {
		return &admissionregv1.ValidatingWebhookConfiguration{}
	},
}

// clusterScoped kinds carry no namespace; every other kind must be in
// weft-system.
var clusterScoped = map[string]bool{
	"Namespace":                      true,
	"CustomResourceDefinition":       true,
	"ClusterRole":                    true,
	"ClusterRoleBinding":             true,
	"MutatingWebhookConfiguration":   true,
	"ValidatingWebhookConfiguration": true,
}

func TestObjectsAreValidForKubernetes136(t *testing.T) {
	objs := install(t)
	index(t, installFile, objs) // no duplicates
	for _, o := range objs {
		t.Run(o.key.String(), func(t *testing.T) {
			k := o.key
			// Names of every kind here must be DNS-1123 subdomains; Services
			// and Namespaces need the stricter label form.
			nameErrs := validation.IsDNS1123Subdomain(k.Name)
			if k.Kind == "Service" || k.Kind == "Namespace" {
				nameErrs = validation.IsDNS1123Label(k.Name)
			}
			for _, e := range nameErrs {
				t.Errorf("metadata.name %q: %s", k.Name, e)
			}
			if meta, ok := o.obj["metadata"].(map[string]any); ok {
				if ls, ok := meta["labels"].(map[string]any); ok {
					for lk, lv := range ls {
						for _, e := range validation.IsQualifiedName(lk) {
							t.Errorf("label key %q: %s", lk, e)
						}
						v, isString := lv.(string)
						if !isString {
							t.Errorf("label %q: value %v is not a string", lk, lv)
						}
						for _, e := range validation.IsValidLabelValue(v) {
							t.Errorf("label %q: %s", lk, e)
						}
					}
				}
			}
			switch {
			case clusterScoped[k.Kind] && k.Namespace != "":
				t.Errorf("cluster-scoped %s must not set metadata.namespace (has %q)", k.Kind, k.Namespace)
			case !clusterScoped[k.Kind] && k.Namespace != namespace:
				t.Errorf("metadata.namespace is %q, want %q", k.Namespace, namespace)
			}

			if k.Kind == "CustomResourceDefinition" {
				checkCRD(t, o)
				return
			}
			newTyped, ok := typedKinds[k.APIVersion+" "+k.Kind]
			if !ok {
				t.Fatalf("%s %s is not a kind this test knows to be served by Kubernetes 1.36: add it to typedKinds", k.APIVersion, k.Kind)
			}
			if err := yaml.UnmarshalStrict(o.raw, newTyped()); err != nil {
				t.Errorf("does not decode strictly as %s %s: %v", k.APIVersion, k.Kind, err)
			}
		})
	}
}

// checkCRD checks what the API server would reject in a CRD and what weft
// relies on: the name is plural.group, the group is Istio's, and exactly one
// version is stored.
func checkCRD(t *testing.T, o object) {
	t.Helper()
	if o.key.APIVersion != crdVersion {
		t.Errorf("apiVersion %s, want %s", o.key.APIVersion, crdVersion)
	}
	spec, _ := o.obj["spec"].(map[string]any)
	group := str(spec["group"])
	names, _ := spec["names"].(map[string]any)
	if want := str(names["plural"]) + "." + group; o.key.Name != want {
		t.Errorf("name %q, want plural.group %q", o.key.Name, want)
	}
	if !istioGroups()[group] {
		t.Errorf("group %q is not one of the Istio kinds weft decodes (config.KindInfos)", group)
	}
	versions, _ := spec["versions"].([]any)
	storage := 0
	for _, v := range versions {
		if vm, _ := v.(map[string]any); vm["storage"] == true {
			storage++
		}
	}
	if storage != 1 {
		t.Errorf("%d storage versions among %d, want exactly 1", storage, len(versions))
	}
}

func istioGroups() map[string]bool {
	groups := map[string]bool{}
	for _, k := range config.KindInfos() {
		if k.Istio {
			groups[k.GVK.Group] = true
		}
	}
	return groups
}

// The decoder serves the versions Istio's CRDs serve, and every Istio kind it knows has its CRD installed.
func TestCRDsMatchDecodedKinds(t *testing.T) {
	crds := map[string]map[string]any{}
	for _, o := range install(t) {
		if o.key.Kind == "CustomResourceDefinition" {
			spec, _ := o.obj["spec"].(map[string]any)
			names, _ := spec["names"].(map[string]any)
			crds[str(names["kind"])] = spec
		}
	}
	for _, k := range config.KindInfos() {
		if !k.Istio {
			continue
		}
		spec, ok := crds[k.Name]
		if !ok {
			t.Errorf("%s: no CRD installed", k.Name)
			continue
		}
		var served []string
		storage := ""
		for _, v := range spec["versions"].([]any) {
			vm := v.(map[string]any)
			if vm["served"] == true {
				served = append(served, str(vm["name"]))
			}
			if vm["storage"] == true {
				storage = str(vm["name"])
			}
		}
		for _, v := range served {
			if _, err := config.NewObject(k.Name); err != nil || !servesVersion(k, v) {
				t.Errorf("%s: the CRD serves %s, the decoder does not", k.Name, v)
			}
		}
		// weft normalizes to one served version; etcd's storage version is the API server's business.
		if !slices.Contains(served, k.GVK.Version) || storage == "" {
			t.Errorf("%s: CRD serves %v (stores %q); weft normalizes to %s", k.Name, served, storage, k.GVK.Version)
		}
	}
}

// The validating webhook sees every Istio kind in every version weft decodes.
func TestValidatorCoversIstioKinds(t *testing.T) {
	rule := admissionregv1.Rule{APIGroups: []string{"networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"},
		APIVersions: []string{"v1", "v1beta1", "v1alpha3", "v1alpha1"}}
	for _, k := range config.KindInfos() {
		if !k.Istio {
			continue
		}
		if !slices.Contains(rule.APIGroups, k.GVK.Group) {
			t.Errorf("%s: group %s not in the webhook's rule", k.Name, k.GVK.Group)
		}
		for _, v := range []string{"v1", "v1beta1", "v1alpha3", "v1alpha1", "v1alpha2", "v2"} {
			if servesVersion(k, v) && !slices.Contains(rule.APIVersions, v) {
				t.Errorf("%s: version %s is decoded but not in the webhook's rule", k.Name, v)
			}
		}
	}
}

// servesVersion asks the decoder whether apiVersion group/v holds kind k.
func servesVersion(k config.KindInfo, v string) bool {
	doc := fmt.Sprintf("apiVersion: %s/%s\nkind: %s\nmetadata: {name: x}\n", k.GVK.Group, v, k.Name)
	objs, errs := config.Decode("x.yaml", []byte(doc))
	return len(objs) == 1 && len(errs) == 0
}

func TestInstallOrder(t *testing.T) {
	objs := install(t)
	// CRDs first, so resources of them could follow; the Namespace before
	// anything namespaced, since kubectl apply goes in file order.
	seenOther, seenNamespace := false, false
	for _, o := range objs {
		switch {
		case o.key.Kind == "CustomResourceDefinition":
			if seenOther {
				t.Errorf("%s comes after a non-CRD object; CRDs go first", o.key)
			}
		case o.key.Kind == "Namespace":
			seenOther, seenNamespace = true, true
		default:
			seenOther = true
			if o.key.Namespace != "" && !seenNamespace {
				t.Errorf("%s comes before its Namespace", o.key)
			}
		}
	}
	if !seenNamespace {
		t.Errorf("install.yaml creates no Namespace %s", namespace)
	}
}

// ---------------------------------------------------------------------------
// RBAC: exactly what weftd needs.

// grant is one permission: verb on group/resource, optionally one name.
type grant struct{ Group, Resource, Verb, Name string }

func (g grant) String() string {
	s := g.Verb + " " + g.Resource
	if g.Group != "" {
		s += "." + g.Group
	}
	if g.Name != "" {
		s += " named " + g.Name
	}
	return s
}

// rule is a compact way to write expected grants.
type rule struct {
	group     string
	resources []string
	names     []string
	verbs     []string
}

var (
	// informerVerbs are what client-go informers use: weftd reads watched
	// resources from their caches, never with a get.
	informerVerbs = []string{"list", "watch"}
	// webhookVerbs: injector/cabundle.go and validating.go get, then update.
	webhookVerbs = []string{"get", "update"}
)

// clusterRules are weftd's cluster-wide permissions besides the kinds its
// config source watches and the kinds it writes status for, which
// wantClusterGrants derives from weftd's own code (pilot/config,
// pilot/config/kube). Widening weftd's privileges means widening this list,
// on purpose.
var clusterRules = []rule{
	// The injection webhook gets a namespace its cache has not seen yet.
	{"", []string{"namespaces"}, nil, []string{"get"}},
	{"authentication.k8s.io", []string{"tokenreviews"}, nil, []string{"create"}},
	// SDS serves a credential's key only to workloads that may list their
	// namespace's Secrets (pilot/config/kube/secrets_authz.go, as istiod).
	{"authorization.k8s.io", []string{"subjectaccessreviews"}, nil, []string{"create"}},
	// istio-ca-root-cert in every namespace (ca/publisher.go).
	{"", []string{"configmaps"}, nil, []string{"list", "watch", "create", "update"}},
	// Only weft's own webhook configurations (caBundle, failurePolicy).
	{"admissionregistration.k8s.io", []string{"mutatingwebhookconfigurations"}, []string{"weft-sidecar-injector"}, webhookVerbs},
	{"admissionregistration.k8s.io", []string{"validatingwebhookconfigurations"}, []string{"weft-validator"}, webhookVerbs},
}

// namespaceRules are weftd's permissions in weft-system only.
var namespaceRules = []rule{
	{"coordination.k8s.io", []string{"leases"}, nil, []string{"get", "create", "update"}},
	{"", []string{"secrets"}, nil, []string{"get", "create", "update"}},
	// The validating webhook's self-check: a dry-run create (pilot/bootstrap/verify.go).
	{"networking.istio.io", []string{"virtualservices"}, nil, []string{"create"}},
}

func expand(rules []rule) map[grant]bool {
	out := map[grant]bool{}
	for _, r := range rules {
		names := r.names
		if len(names) == 0 {
			names = []string{""}
		}
		for _, res := range r.resources {
			for _, v := range r.verbs {
				for _, n := range names {
					out[grant{r.group, res, v, n}] = true
				}
			}
		}
	}
	return out
}

func grantsOf(rules []rbacv1.PolicyRule) map[grant]bool {
	var rs []rule
	for _, r := range rules {
		for _, g := range r.APIGroups {
			rs = append(rs, rule{g, r.Resources, r.ResourceNames, r.Verbs})
		}
	}
	return expand(rs)
}

// wantClusterGrants is clusterRules plus informer access to every kind the
// Kubernetes source watches (config.KindInfos) and update of the status of
// the kinds it reports on (kube.StatusKinds): no more, no less.
func wantClusterGrants(t *testing.T) map[grant]bool {
	t.Helper()
	plurals := crdPlurals(t)
	rules := slices.Clone(clusterRules)
	for _, k := range config.KindInfos() {
		plural := plurals[k.GVK.GroupKind()]
		if plural == "" { // core kinds: Service, Pod, Namespace, EndpointSlice
			plural = strings.ToLower(k.Name) + "s"
		}
		rules = append(rules, rule{k.GVK.Group, []string{plural}, nil, informerVerbs})
		if slices.Contains(kube.StatusKinds, k.Name) {
			rules = append(rules, rule{k.GVK.Group, []string{plural + "/status"}, nil, []string{"update"}})
		}
	}
	return expand(rules)
}

// crdPlurals maps each CRD's group and kind to its plural resource name.
func crdPlurals(t *testing.T) map[schema.GroupKind]string {
	t.Helper()
	out := map[schema.GroupKind]string{}
	for _, name := range yamlFiles(t, crdDir) {
		for _, crd := range parseFile(t, filepath.Join(crdDir, name)) {
			spec, _ := crd.obj["spec"].(map[string]any)
			names, _ := spec["names"].(map[string]any)
			out[schema.GroupKind{Group: str(spec["group"]), Kind: str(names["kind"])}] = str(names["plural"])
		}
	}
	return out
}

func TestRBACGrantsExactlyWhatWeftdNeeds(t *testing.T) {
	var cr rbacv1.ClusterRole
	one(t, "ClusterRole", "weftd-"+namespace, &cr)
	var role rbacv1.Role
	one(t, "Role", "weftd", &role)
	if cr.AggregationRule != nil {
		t.Errorf("ClusterRole %s has an aggregationRule: other ClusterRoles could widen it", cr.Name)
	}

	tests := []struct {
		name  string
		scope string
		rules []rbacv1.PolicyRule
		want  map[grant]bool
	}{
		{"ClusterRole", "cluster-wide", cr.Rules, wantClusterGrants(t)},
		{"Role", "in " + namespace, role.Rules, expand(namespaceRules)},
	}
	// Guards with their own message, for the privileges that must never
	// creep in whatever the expected lists say.
	guards := []struct {
		what    string
		applies func(scope string) bool
		bad     func(r rbacv1.PolicyRule) bool
	}{
		{"a * verb, resource or API group", func(string) bool { return true }, func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.Verbs, "*") || slices.Contains(r.Resources, "*") || slices.Contains(r.APIGroups, "*") ||
				slices.ContainsFunc(r.Resources, func(s string) bool { return strings.HasSuffix(s, "/*") })
		}},
		{"non-resource URLs", func(string) bool { return true }, func(r rbacv1.PolicyRule) bool { return len(r.NonResourceURLs) > 0 }},
		{"escalate, bind or impersonate", func(string) bool { return true }, func(r rbacv1.PolicyRule) bool {
			return slices.ContainsFunc(r.Verbs, func(v string) bool { return v == "escalate" || v == "bind" || v == "impersonate" })
		}},
		{"delete or deletecollection", func(string) bool { return true }, func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.Verbs, "delete") || slices.Contains(r.Verbs, "deletecollection")
		}},
		// weftd serves every proxy and holds the mesh CA's key: were it
		// compromised, cluster-wide Secret access would hand over every key
		// in the cluster. istiod has it for credentialName; weft does not
		// need it, as it watches each credential Secret alone by a
		// metadata.name field selector, which RBAC resourceNames can limit
		// (TestCredentialRolesGrantOnlyTheNamedSecrets).
		{"Secrets", func(scope string) bool { return scope == "cluster-wide" }, func(r rbacv1.PolicyRule) bool {
			return slices.Contains(r.APIGroups, "") && slices.Contains(r.Resources, "secrets")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, r := range tt.rules {
				for _, g := range guards {
					if g.applies(tt.scope) && g.bad(r) {
						t.Errorf("rule %d (%s) grants %s %s: never for weftd", i, fmtRule(r), g.what, tt.scope)
					}
				}
			}
			got := grantsOf(tt.rules)
			for _, g := range sortedGrants(got) {
				if !tt.want[g] {
					t.Errorf("grants %s %s, which weftd does not need (if it now does, add it to the expected rules in manifests_test.go)", g, tt.scope)
				}
			}
			for _, g := range sortedGrants(tt.want) {
				if !got[g] {
					t.Errorf("lacks %s %s, which weftd needs", g, tt.scope)
				}
			}
		})
	}
}

func fmtRule(r rbacv1.PolicyRule) string {
	s := fmt.Sprintf("apiGroups=%q resources=%q verbs=%q", r.APIGroups, r.Resources, r.Verbs)
	if len(r.ResourceNames) > 0 {
		s += fmt.Sprintf(" resourceNames=%q", r.ResourceNames)
	}
	if len(r.NonResourceURLs) > 0 {
		s += fmt.Sprintf(" nonResourceURLs=%q", r.NonResourceURLs)
	}
	return s
}

func sortedGrants(m map[grant]bool) []grant {
	out := make([]grant, 0, len(m))
	for g := range m {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func TestBindingsGrantOnlyWeftdItsOwnRoles(t *testing.T) {
	sa := rbacv1.Subject{Kind: "ServiceAccount", Name: "weftd", Namespace: namespace}
	var sacct corev1.ServiceAccount
	one(t, "ServiceAccount", "weftd", &sacct)

	var crb rbacv1.ClusterRoleBinding
	one(t, "ClusterRoleBinding", "weftd-"+namespace, &crb)
	var rb rbacv1.RoleBinding
	one(t, "RoleBinding", "weftd", &rb)
	tests := []struct {
		name     string
		roleRef  rbacv1.RoleRef
		subjects []rbacv1.Subject
		want     rbacv1.RoleRef
	}{
		{"ClusterRoleBinding", crb.RoleRef, crb.Subjects, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "weftd-" + namespace}},
		{"RoleBinding", rb.RoleRef, rb.Subjects, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "weftd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.roleRef != tt.want {
				t.Errorf("roleRef %+v, want %+v (weftd's own role, never a built-in one)", tt.roleRef, tt.want)
			}
			if !slices.Equal(tt.subjects, []rbacv1.Subject{sa}) {
				t.Errorf("subjects %+v, want only %+v", tt.subjects, sa)
			}
		})
	}
	// Only these two bindings: any other would grant someone something.
	for _, o := range install(t) {
		if (o.key.Kind == "ClusterRoleBinding" && o.key.Name != crb.Name) || (o.key.Kind == "RoleBinding" && o.key.Name != rb.Name) {
			t.Errorf("unexpected binding %s", o.key)
		}
	}
}

// ---------------------------------------------------------------------------
// Workload: Deployment, Services, PodDisruptionBudget.

func weftdDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	one(t, "Deployment", "weftd", &d)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment weftd has %d containers, want 1", len(d.Spec.Template.Spec.Containers))
	}
	return &d
}

// weftdPorts are istiod's port numbers, by container port name: by default
// only the authenticated ones and the kubelet's health port.
var weftdPorts = map[string]int32{
	"tls-xds":        15012,
	"https-webhooks": 15017,
	"http-health":    8080,
}

func TestDeployment(t *testing.T) {
	d := weftdDeployment(t)
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	checks := []struct {
		name  string
		check func() string // "" when fine, else what is wrong
	}{
		{"2 replicas", func() string {
			if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
				return fmt.Sprintf("replicas %v, want 2", ptrStr(d.Spec.Replicas))
			}
			return ""
		}},
		{"selector matches pod labels", func() string {
			sel, err := metaSelector(d.Spec.Selector.MatchLabels)
			if err != nil {
				return err.Error()
			}
			if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				return fmt.Sprintf("selector %v does not match pod labels %v", sel, d.Spec.Template.Labels)
			}
			return ""
		}},
		{"image", func() string { return want("image", c.Image, "ghcr.io/weftmesh/weftd:latest") }},
		{"service account", func() string { return want("serviceAccountName", pod.ServiceAccountName, "weftd") }},
		{"Kubernetes mode args", func() string {
			var missing []string
			for _, a := range []string{"--secure-addr=:15012", "--health-addr=:8080", "--webhook-addr=:15017", "--namespace=$(POD_NAMESPACE)", "--leader-elect=true"} {
				if !slices.Contains(c.Args, a) {
					missing = append(missing, a)
				}
			}
			for _, a := range c.Args {
				// In-cluster config, not a kubeconfig or file mode.
				if strings.HasPrefix(a, "--kubeconfig") || strings.HasPrefix(a, "--config-dir") {
					missing = append(missing, "no "+a)
				}
				// Unauthenticated listeners stay on weftd's loopback default.
				if strings.HasPrefix(a, "--xds-addr") || strings.HasPrefix(a, "--debug-addr") {
					missing = append(missing, "no "+a)
				}
			}
			if len(missing) > 0 {
				return fmt.Sprintf("args %q want %q", c.Args, missing)
			}
			return ""
		}},
		{"downward API env", func() string {
			wantEnv := map[string]string{"POD_NAME": "metadata.name", "POD_NAMESPACE": "metadata.namespace"}
			for _, e := range c.Env {
				if path, ok := wantEnv[e.Name]; ok && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == path {
					delete(wantEnv, e.Name)
				}
			}
			if len(wantEnv) > 0 {
				return fmt.Sprintf("env lacks fieldRef variables %v", wantEnv)
			}
			return ""
		}},
		{"ports", func() string {
			got := map[string]int32{}
			for _, p := range c.Ports {
				if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
					return fmt.Sprintf("port name %q: %s", p.Name, strings.Join(errs, "; "))
				}
				got[p.Name] = p.ContainerPort
			}
			if !reflect.DeepEqual(got, weftdPorts) {
				return fmt.Sprintf("container ports %v, want %v", got, weftdPorts)
			}
			return ""
		}},
		{"readiness probe GET /ready on 8080", func() string {
			p := c.ReadinessProbe
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/ready" || p.HTTPGet.Port.IntValue() != 8080 {
				return fmt.Sprintf("readinessProbe %+v", p)
			}
			return ""
		}},
		{"liveness probe GET /healthz on 8080", func() string {
			p := c.LivenessProbe
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.IntValue() != 8080 {
				return fmt.Sprintf("livenessProbe %+v", p)
			}
			return ""
		}},
		{"no scrape annotations while /metrics is loopback", func() string {
			if v, ok := d.Spec.Template.Annotations["prometheus.io/scrape"]; ok {
				return fmt.Sprintf("prometheus.io/scrape %q on a pod whose debug port is not exposed", v)
			}
			return ""
		}},
		{"resources", func() string {
			r := c.Resources
			if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
				return fmt.Sprintf("resources %v: want cpu and memory requests and a memory limit", r)
			}
			return ""
		}},
		{"pod securityContext", func() string {
			sc := pod.SecurityContext
			if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
				return "pod securityContext.runAsNonRoot is not true"
			}
			if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				return "pod securityContext.seccompProfile is not RuntimeDefault"
			}
			return ""
		}},
		{"container securityContext", func() string {
			sc := c.SecurityContext
			switch {
			case sc == nil:
				return "no container securityContext"
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				return "readOnlyRootFilesystem is not true"
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				return "allowPrivilegeEscalation is not false"
			case sc.Privileged != nil && *sc.Privileged:
				return "privileged"
			case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}):
				return "capabilities do not drop ALL"
			case len(sc.Capabilities.Add) > 0:
				return fmt.Sprintf("capabilities add %v", sc.Capabilities.Add)
			case sc.RunAsUser != nil && *sc.RunAsUser == 0:
				return "runAsUser 0"
			}
			return ""
		}},
		{"anti-affinity preferred by hostname", func() string {
			a := pod.Affinity
			if a == nil || a.PodAntiAffinity == nil {
				return "no podAntiAffinity"
			}
			if len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
				return "required anti-affinity would leave a replica pending on a one-node cluster"
			}
			for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
				term := w.PodAffinityTerm
				if term.TopologyKey != corev1.LabelHostname || term.LabelSelector == nil {
					continue
				}
				if sel, err := metaSelector(term.LabelSelector.MatchLabels); err == nil && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					return ""
				}
			}
			return "no preferred anti-affinity term on kubernetes.io/hostname selecting weftd pods"
		}},
	}
	for _, tt := range checks {
		t.Run(tt.name, func(t *testing.T) {
			if problem := tt.check(); problem != "" {
				t.Errorf("Deployment weftd: %s", problem)
			}
		})
	}
}

func TestServices(t *testing.T) {
	d := weftdDeployment(t)
	containerPorts := map[int32]bool{}
	for _, p := range d.Spec.Template.Spec.Containers[0].Ports {
		containerPorts[p.ContainerPort] = true
	}
	type port struct {
		name         string
		port, target int32
	}
	tests := []struct {
		name  string
		ports []port
	}{
		{"weftd", []port{{"https-dns", 15012, 15012}}},
		{"weft-webhook", []port{{"https-webhook", 443, 15017}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var svc corev1.Service
			one(t, "Service", tt.name, &svc)
			var got []port
			for _, p := range svc.Spec.Ports {
				got = append(got, port{p.Name, p.Port, int32(p.TargetPort.IntValue())})
				if p.TargetPort.IntValue() == 0 {
					t.Errorf("port %s: targetPort %q must be a number so it cannot silently miss", p.Name, p.TargetPort.String())
				} else if !containerPorts[int32(p.TargetPort.IntValue())] {
					t.Errorf("port %s: targetPort %d is not a weftd container port", p.Name, p.TargetPort.IntValue())
				}
			}
			if !slices.Equal(got, tt.ports) {
				t.Errorf("ports %+v, want %+v", got, tt.ports)
			}
			sel, err := metaSelector(svc.Spec.Selector)
			if err != nil || len(svc.Spec.Selector) == 0 || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				t.Errorf("selector %v does not select weftd pods %v", svc.Spec.Selector, d.Spec.Template.Labels)
			}
		})
	}
}

func TestPodDisruptionBudget(t *testing.T) {
	d := weftdDeployment(t)
	var pdb policyv1.PodDisruptionBudget
	one(t, "PodDisruptionBudget", "weftd", &pdb)
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 1 {
		t.Errorf("minAvailable %v, want 1", pdb.Spec.MinAvailable)
	}
	if pdb.Spec.Selector == nil {
		t.Fatal("no selector")
	}
	sel, err := metaSelector(pdb.Spec.Selector.MatchLabels)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("selector %v does not select weftd pods %v", pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
}

func metaSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("empty selector would select everything")
	}
	return labels.SelectorFromValidatedSet(labels.Set(m)), nil
}

func want(field, got, want string) string {
	if got != want {
		return fmt.Sprintf("%s %q, want %q", field, got, want)
	}
	return ""
}

func ptrStr(p *int32) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// ---------------------------------------------------------------------------
// Admission webhooks: weft-sidecar-injector (/inject) and weft-validator
// (/validate), both served by weftd --webhook-addr behind weft-webhook.

// webhookCommon is what every webhook of either configuration carries.
type webhookCommon struct {
	name        string
	client      admissionregv1.WebhookClientConfig
	failure     *admissionregv1.FailurePolicyType
	timeout     *int32
	sideEffects *admissionregv1.SideEffectClass
	reviewVers  []string
	nsSelector  *metav1.LabelSelector
	rules       []admissionregv1.RuleWithOperations
}

// rbacWebhookNames are the configuration names the ClusterRole may patch,
// taken from clusterRules so the two cannot drift apart.
func rbacWebhookNames(t *testing.T, resource string) []string {
	t.Helper()
	for _, r := range clusterRules {
		if r.group == "admissionregistration.k8s.io" && slices.Equal(r.resources, []string{resource}) {
			return r.names
		}
	}
	t.Fatalf("clusterRules grant nothing on %s", resource)
	return nil
}

func mutatingWebhooks(t *testing.T) (string, []webhookCommon, *admissionregv1.MutatingWebhookConfiguration) {
	t.Helper()
	names := rbacWebhookNames(t, "mutatingwebhookconfigurations")
	if len(names) != 1 {
		t.Fatalf("clusterRules name %d MutatingWebhookConfigurations, want 1", len(names))
	}
	var cfg admissionregv1.MutatingWebhookConfiguration
	one(t, "MutatingWebhookConfiguration", names[0], &cfg)
	var out []webhookCommon
	for _, w := range cfg.Webhooks {
		out = append(out, webhookCommon{w.Name, w.ClientConfig, w.FailurePolicy, w.TimeoutSeconds, w.SideEffects,
			w.AdmissionReviewVersions, w.NamespaceSelector, w.Rules})
	}
	return names[0], out, &cfg
}

func validatingWebhooks(t *testing.T) (string, []webhookCommon) {
	t.Helper()
	names := rbacWebhookNames(t, "validatingwebhookconfigurations")
	if len(names) != 1 {
		t.Fatalf("clusterRules name %d ValidatingWebhookConfigurations, want 1", len(names))
	}
	var cfg admissionregv1.ValidatingWebhookConfiguration
	one(t, "ValidatingWebhookConfiguration", names[0], &cfg)
	var out []webhookCommon
	for _, w := range cfg.Webhooks {
		out = append(out, webhookCommon{w.Name, w.ClientConfig, w.FailurePolicy, w.TimeoutSeconds, w.SideEffects,
			w.AdmissionReviewVersions, w.NamespaceSelector, w.Rules})
	}
	return names[0], out
}

// webhookTarget is where the API server must call weftd: the Service that
// fronts weftd's --webhook-addr, on the Service port whose targetPort is
// the address's port.
func webhookTarget(t *testing.T) (service string, port int32) {
	t.Helper()
	c := weftdDeployment(t).Spec.Template.Spec.Containers[0]
	var addr string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--webhook-addr="); ok {
			addr = v
		}
	}
	if addr != ":15017" {
		t.Fatalf("weftd args %q: want --webhook-addr=:15017 (all interfaces; the default is loopback-only)", c.Args)
	}
	var svc corev1.Service
	one(t, "Service", "weft-webhook", &svc)
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.IntValue() == 15017 {
			return svc.Name, p.Port
		}
	}
	t.Fatalf("Service weft-webhook has no port targeting weftd's --webhook-addr port 15017")
	return "", 0
}

func TestWebhookConfigurations(t *testing.T) {
	svcName, svcPort := webhookTarget(t)
	mutName, mutating, mutCfg := mutatingWebhooks(t)
	valName, validating := validatingWebhooks(t)

	fail, ignore := admissionregv1.Fail, admissionregv1.Ignore
	tests := []struct {
		config   string
		webhooks []webhookCommon
		names    []string // webhook names, in order
		path     string
		failure  admissionregv1.FailurePolicyType
		rules    []admissionregv1.RuleWithOperations
		// excludesOwnNamespace: the webhook must never select weftd's own
		// namespace or kube-system, so weftd can start while none answers.
		excludesOwnNamespace bool
	}{
		{
			config: "MutatingWebhookConfiguration " + mutName, webhooks: mutating,
			names: []string{"sidecar-injector.weft.io"}, path: "/inject", failure: fail,
			rules: []admissionregv1.RuleWithOperations{{
				Operations: []admissionregv1.OperationType{admissionregv1.Create},
				Rule:       admissionregv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
			excludesOwnNamespace: true,
		},
		{
			// Ignore: mesh config is admitted while weftd is not answering;
			// operators may switch to Fail. No namespaceSelector: weftd's
			// namespace is the mesh root namespace, which needs validating.
			config: "ValidatingWebhookConfiguration " + valName, webhooks: validating,
			names: []string{"validation.weft.io"}, path: "/validate", failure: ignore,
			rules: []admissionregv1.RuleWithOperations{{
				Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
				// Every Istio group and version the decoder serves (TestValidatorCoversIstioKinds).
				Rule: admissionregv1.Rule{APIGroups: []string{"networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"},
					APIVersions: []string{"v1", "v1beta1", "v1alpha3", "v1alpha1"}, Resources: []string{"*"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			var names []string
			for _, w := range tt.webhooks {
				names = append(names, w.name)
			}
			if !slices.Equal(names, tt.names) {
				t.Fatalf("webhooks %q, want %q", names, tt.names)
			}
			for _, w := range tt.webhooks {
				svc := w.client.Service
				switch {
				case w.client.URL != nil:
					t.Errorf("%s: clientConfig.url %q: want the in-cluster Service", w.name, *w.client.URL)
				case svc == nil:
					t.Errorf("%s: no clientConfig.service", w.name)
				case svc.Name != svcName || svc.Namespace != namespace || svc.Path == nil || *svc.Path != tt.path || svc.Port == nil || *svc.Port != svcPort:
					t.Errorf("%s: clientConfig.service %s/%s path %v port %v, want %s/%s path %s port %d (Service fronting weftd --webhook-addr)",
						w.name, svc.Namespace, svc.Name, ptrAny(svc.Path), ptrStr(svc.Port), namespace, svcName, tt.path, svcPort)
				}
				if len(w.client.CABundle) > 0 {
					t.Errorf("%s: caBundle set in the chart; weftd owns it (or, until it patches this configuration, nobody)", w.name)
				}
				if w.failure == nil || *w.failure != tt.failure {
					t.Errorf("%s: failurePolicy %s, want %s", w.name, ptrAny(w.failure), tt.failure)
				}
				if w.timeout == nil || *w.timeout != 10 {
					t.Errorf("%s: timeoutSeconds %v, want 10", w.name, ptrStr(w.timeout))
				}
				if w.sideEffects == nil || *w.sideEffects != admissionregv1.SideEffectClassNone {
					t.Errorf("%s: sideEffects %v, want None (dry-run requests must reach weftd)", w.name, ptrAny(w.sideEffects))
				}
				if !slices.Equal(w.reviewVers, []string{"v1"}) {
					t.Errorf("%s: admissionReviewVersions %q, want [v1] (weftd speaks admission.k8s.io/v1 only)", w.name, w.reviewVers)
				}
				if !reflect.DeepEqual(w.rules, tt.rules) {
					t.Errorf("%s: rules %+v, want %+v", w.name, w.rules, tt.rules)
				}
				if tt.excludesOwnNamespace {
					checkNamespaceSelector(t, w.name, w.nsSelector)
				}
			}
		})
	}

	t.Run("injection selectors", func(t *testing.T) {
		w := mutCfg.Webhooks[0]
		if w.ReinvocationPolicy == nil || *w.ReinvocationPolicy != admissionregv1.NeverReinvocationPolicy {
			t.Errorf("reinvocationPolicy %v, want Never", ptrAny(w.ReinvocationPolicy))
		}
		sel := mustSelector(t, "namespaceSelector", w.NamespaceSelector)
		for _, ns := range []struct {
			labels map[string]string
			want   bool
		}{
			{map[string]string{"kubernetes.io/metadata.name": "app", "istio-injection": "enabled"}, true},
			{map[string]string{"kubernetes.io/metadata.name": "app", "istio-injection": "disabled"}, false},
			{map[string]string{"kubernetes.io/metadata.name": "app"}, false},
			// Another revision's namespace belongs to that revision's weftd.
			{map[string]string{"kubernetes.io/metadata.name": "app", "istio.io/rev": "canary"}, false},
		} {
			if got := sel.Matches(labels.Set(ns.labels)); got != ns.want {
				t.Errorf("namespaceSelector matches namespace labelled %v: %v, want %v", ns.labels, got, ns.want)
			}
		}
		obj := mustSelector(t, "objectSelector", w.ObjectSelector)
		for _, pod := range []struct {
			labels map[string]string
			want   bool
		}{
			{nil, true},
			{map[string]string{"sidecar.istio.io/inject": "true"}, true},
			{map[string]string{"sidecar.istio.io/inject": "false"}, false},
		} {
			if got := obj.Matches(labels.Set(pod.labels)); got != pod.want {
				t.Errorf("objectSelector matches pod labelled %v: %v, want %v", pod.labels, got, pod.want)
			}
		}
	})
}

// checkNamespaceSelector fails unless sel never matches weftd's own
// namespace or kube-system, whatever other labels they carry.
func checkNamespaceSelector(t *testing.T, webhook string, sel *metav1.LabelSelector) {
	t.Helper()
	s := mustSelector(t, webhook+": namespaceSelector", sel)
	for _, ns := range []string{namespace, "kube-system"} {
		// Labelled every way that could select it for injection.
		for _, extra := range []map[string]string{{}, {"istio-injection": "enabled"}, {"istio.io/rev": "canary"}} {
			l := labels.Set{"kubernetes.io/metadata.name": ns}
			for k, v := range extra {
				l[k] = v
			}
			if s.Matches(l) {
				t.Errorf("%s: namespaceSelector %v selects namespace %s labelled %v: pod creation there would wait for weftd itself", webhook, sel, ns, l)
			}
		}
	}
}

func mustSelector(t *testing.T, what string, sel *metav1.LabelSelector) labels.Selector {
	t.Helper()
	if sel == nil {
		t.Fatalf("%s is unset: it would select everything", what)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return s
}

func ptrAny[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// The chart's credentials.secrets value grants weftd list and watch on
// exactly the named Secrets of each namespace (what weft's field-selected
// Secret watch needs to serve a credentialName over SDS), bound to weftd
// alone; the default grants none.
func TestCredentialRolesGrantOnlyTheNamedSecrets(t *testing.T) {
	for _, o := range install(t) {
		if strings.HasSuffix(o.key.Name, "-credentials") {
			t.Errorf("install.yaml (default values) holds %s: no credential Secret is readable by default", o.key)
		}
	}
	objs, err := parseDocs("rendered chart", renderChart(t, "credentials.secrets.shop={vault-client,bank-client}", "credentials.secrets.pay={card}"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"shop": {"vault-client", "bank-client"}, "pay": {"card"}}
	name := "weftd-" + namespace + "-credentials"
	roles, bindings := 0, 0
	for _, o := range objs {
		switch {
		case o.key.Name != name:
		case o.key.Kind == "Role":
			roles++
			checkCredentialRole(t, o, want[o.key.Namespace])
		case o.key.Kind == "RoleBinding":
			bindings++
			checkCredentialBinding(t, o, name)
		}
	}
	if roles != len(want) || bindings != len(want) {
		t.Errorf("%d Roles and %d RoleBindings %s, want one each in %d namespaces", roles, bindings, name, len(want))
	}
}

func checkCredentialRole(t *testing.T, o object, names []string) {
	t.Helper()
	var r rbacv1.Role
	if err := yaml.UnmarshalStrict(o.raw, &r); err != nil {
		t.Fatalf("%s: %v", o.key, err)
	}
	want := expand([]rule{{"", []string{"secrets"}, names, informerVerbs}})
	got := grantsOf(r.Rules)
	if len(names) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("%s grants %v, want %v", o.key, sortedGrants(got), sortedGrants(want))
	}
}

func checkCredentialBinding(t *testing.T, o object, role string) {
	t.Helper()
	var b rbacv1.RoleBinding
	if err := yaml.UnmarshalStrict(o.raw, &b); err != nil {
		t.Fatalf("%s: %v", o.key, err)
	}
	sa := rbacv1.Subject{Kind: "ServiceAccount", Name: "weftd", Namespace: namespace}
	if b.RoleRef.Kind != "Role" || b.RoleRef.Name != role || len(b.Subjects) != 1 || b.Subjects[0] != sa {
		t.Errorf("%s binds %v to %v, want Role %s to weftd only", o.key, b.RoleRef, b.Subjects, role)
	}
}
