package manifests

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/config/kube"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// Against a real API server: weftd with the install's ClusterRole and the
// chart's credentials.secrets Role serves a credential as istiod would. Its
// field-selected watch reads the named Secret; any other Secret of the
// namespace stays forbidden; its SubjectAccessReviews are allowed, so keys
// go to a workload that may list its namespace's Secrets and no other.
func TestCredentialRBACServesTheNamedSecretOnly(t *testing.T) {
	env := kubeenv.Start(t, kubeenv.Options{WithoutControllerManager: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := env.Client
	for _, ns := range []string{namespace, "shop"} {
		mustCreate(t, func() error {
			_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			return err
		})
	}
	applyWeftdRBAC(ctx, t, admin)
	for _, name := range []string{"vault-client", "other"} {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Data: map[string][]byte{"tls.crt": []byte(name)}}
		mustCreate(t, func() error {
			_, err := admin.CoreV1().Secrets("shop").Create(ctx, sec, metav1.CreateOptions{})
			return err
		})
	}
	// The workload web may list its namespace's Secrets (the grant istiod
	// also asks of a workload before serving it keys); batch may not.
	grantListSecrets(ctx, t, admin, "shop", "web")

	weftd := impersonate(t, env.Config, "system:serviceaccount:"+namespace+":weftd")
	changed := make(chan struct{}, 16)
	src := kube.NewSecrets(ctx, weftd, nil, func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	src.Secret("shop", "vault-client") // starts its watch
	waitSecret(ctx, t, src, changed, "shop", "vault-client")
	if _, err := weftd.CoreV1().Secrets("shop").Get(ctx, "other", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("weftd reading shop/other: %v, want Forbidden", err)
	}
	if _, err := weftd.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("weftd listing shop's Secrets: %v, want Forbidden", err)
	}
	if err := src.Authorize("shop", "web"); err != nil {
		t.Errorf("web, which may list shop's Secrets, refused keys: %v", err)
	}
	if err := src.Authorize("shop", "batch"); err == nil || !strings.Contains(err.Error(), "may not list") {
		t.Errorf("batch: %v, want a review that says it may not list Secrets (not a refused review)", err)
	}
}

// applyWeftdRBAC creates weftd's ServiceAccount, ClusterRole and binding
// as install.yaml has them, and the credential Role and binding the chart
// renders for credentials.secrets.shop=[vault-client].
func applyWeftdRBAC(ctx context.Context, t *testing.T, c kubernetes.Interface) {
	t.Helper()
	var sa corev1.ServiceAccount
	one(t, "ServiceAccount", "weftd", &sa)
	var cr rbacv1.ClusterRole
	one(t, "ClusterRole", "weftd-"+namespace, &cr)
	var crb rbacv1.ClusterRoleBinding
	one(t, "ClusterRoleBinding", "weftd-"+namespace, &crb)
	mustCreate(t, func() error {
		_, err := c.CoreV1().ServiceAccounts(namespace).Create(ctx, &sa, metav1.CreateOptions{})
		return err
	})
	mustCreate(t, func() error { _, err := c.RbacV1().ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{}); return err })
	mustCreate(t, func() error {
		_, err := c.RbacV1().ClusterRoleBindings().Create(ctx, &crb, metav1.CreateOptions{})
		return err
	})
	objs, err := parseDocs("rendered chart", renderChart(t, "credentials.secrets.shop={vault-client}"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		switch {
		case o.key.Name != "weftd-"+namespace+"-credentials":
		case o.key.Kind == "Role":
			var r rbacv1.Role
			decode(t, o, &r)
			mustCreate(t, func() error { _, err := c.RbacV1().Roles("shop").Create(ctx, &r, metav1.CreateOptions{}); return err })
		case o.key.Kind == "RoleBinding":
			var b rbacv1.RoleBinding
			decode(t, o, &b)
			mustCreate(t, func() error {
				_, err := c.RbacV1().RoleBindings("shop").Create(ctx, &b, metav1.CreateOptions{})
				return err
			})
		}
	}
}

func grantListSecrets(ctx context.Context, t *testing.T, c kubernetes.Interface, ns, sa string) {
	t.Helper()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa + "-secrets", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}}}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa + "-secrets", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}}
	mustCreate(t, func() error { _, err := c.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); return err })
	mustCreate(t, func() error {
		_, err := c.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{})
		return err
	})
}

func impersonate(t *testing.T, cfg *rest.Config, user string) kubernetes.Interface {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"}}
	client, err := kubernetes.NewForConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// waitSecret waits, on the source's change notifications, until it holds
// namespace/name.
func waitSecret(ctx context.Context, t *testing.T, src *kube.Secrets, changed <-chan struct{}, namespace, name string) {
	t.Helper()
	for {
		if d, ok := src.Secret(namespace, name); ok {
			if string(d["tls.crt"]) != name {
				t.Errorf("%s/%s = %q, want its data", namespace, name, d)
			}
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("weftd never read %s/%s with the chart's credential Role", namespace, name)
		}
	}
}

func decode(t *testing.T, o object, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict(o.raw, into); err != nil {
		t.Fatalf("%s: %v", o.key, err)
	}
}

func mustCreate(t *testing.T, create func() error) {
	t.Helper()
	if err := create(); err != nil {
		t.Fatal(err)
	}
}
