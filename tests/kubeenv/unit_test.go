package kubeenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVersionsMatchGoMod keeps KubeVersion and EtcdVersion (the cache keys
// Go looks under) in step with what hack/kubebin builds.
func TestVersionsMatchGoMod(t *testing.T) {
	kubeMod := readFile(t, "../../hack/kubebin/go.mod")
	if want := "k8s.io/kubernetes " + KubeVersion; !strings.Contains(kubeMod, want) {
		t.Errorf("hack/kubebin/go.mod does not require %s", want)
	}
	staging := "v0" + strings.TrimPrefix(KubeVersion, "v1")
	replaces := regexp.MustCompile(`(?m)^\s*(k8s\.io/\S+) => (\S+) (\S+)$`).FindAllStringSubmatch(kubeMod, -1)
	if len(replaces) != 33 {
		t.Errorf("hack/kubebin/go.mod replaces %d staging modules, want 33", len(replaces))
	}
	for _, r := range replaces {
		if r[1] != r[2] || r[3] != staging {
			t.Errorf("replace %s => %s %s, want the published %s", r[1], r[2], r[3], staging)
		}
	}
	etcdMod := readFile(t, "../../hack/kubebin/etcd/go.mod")
	if want := "go.etcd.io/etcd/server/v3 " + EtcdVersion; !strings.Contains(etcdMod, want) {
		t.Errorf("hack/kubebin/etcd/go.mod does not require %s", want)
	}
}

// TestCacheDirsMatchBuildScript checks that Go looks where build.sh writes,
// for each way of choosing the cache.
func TestCacheDirsMatchBuildScript(t *testing.T) {
	tmp := t.TempDir()
	cases := map[string]map[string]string{
		"explicit": {CacheEnv: filepath.Join(tmp, "c"), "XDG_CACHE_HOME": "", "HOME": tmp},
		"xdg":      {CacheEnv: "", "XDG_CACHE_HOME": filepath.Join(tmp, "x"), "HOME": tmp},
		"home":     {CacheEnv: "", "XDG_CACHE_HOME": "", "HOME": tmp},
	}
	for name, vars := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range vars {
				t.Setenv(k, v)
			}
			out, err := exec.Command("bash", "../../hack/kubebin/build.sh", "--print-dirs").Output()
			if err != nil {
				t.Fatalf("build.sh --print-dirs: %v", err)
			}
			kube, etcd := CacheDirs()
			if got, want := string(out), kube+"\n"+etcd+"\n"; got != want {
				t.Errorf("build.sh dirs:\n%s\nGo dirs:\n%s", got, want)
			}
		})
	}
}

func TestSequentialIPs(t *testing.T) {
	ip := SequentialIPs("10.244.1.", 2)
	got := []string{ip("a"), ip("b"), ip("a"), ip("c")}
	want := []string{"10.244.1.2", "10.244.1.3", "10.244.1.2", "10.244.1.4"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNamespaceName(t *testing.T) {
	name := namespaceName("TestFoo/Sub_Case#01" + strings.Repeat("x", 80))
	if len(name) > 63 || !regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`).MatchString(name) {
		t.Errorf("namespaceName gave %q, not a DNS label", name)
	}
}

func TestTail(t *testing.T) {
	if got := tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("tail = %q", got)
	}
	if got := tail("a", 5); got != "a" {
		t.Errorf("tail = %q", got)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Container args expand $(VAR) as the kubelet does.
func TestExpandKubeletReferences(t *testing.T) {
	env := map[string]string{"POD_NAMESPACE": "weft-system", "A": "x"}
	for in, want := range map[string]string{
		"--namespace=$(POD_NAMESPACE)": "--namespace=weft-system",
		"$(A)$(A)-$$(A)":               "xx-$(A)",
		"$(MISSING) $ $(":              "$(MISSING) $ $(",
		"plain":                        "plain",
	} {
		if got := expand(in, env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

// The downward API writes labels as sorted key="value" lines.
func TestFormatDownwardMap(t *testing.T) {
	got := formatMap(map[string]string{"version": "v1", "app": `re"views`})
	if want := "app=\"re\\\"views\"\nversion=\"v1\"\n"; got != want {
		t.Errorf("formatMap = %q, want %q", got, want)
	}
}
