package bootstrap

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// --mesh-config gives translation Istio's exportTo defaults; a file that
// cannot be read or parsed fails the start rather than being ignored.
func TestMeshConfigSetsTranslateOptions(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mesh")
	if err := os.WriteFile(good, []byte("defaultVirtualServiceExportTo: [\".\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("defaultVirtualServiceExportTo: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Config{ConfigDir: dir, MeshConfig: good}
	opts, err := c.options()
	if err != nil || !slices.Equal(opts.Translate.DefaultVirtualServiceExportTo, []string{"."}) {
		t.Fatalf("options %+v, %v", opts.Translate, err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing")} {
		c.MeshConfig = path
		if _, err := c.options(); err == nil || !strings.Contains(err.Error(), "mesh config") {
			t.Errorf("%s: error %v, want a mesh config error", filepath.Base(path), err)
		}
	}
}

// The mesh config's localityLbSetting, outbound policy and trust domain
// reach translation; a trust domain other than the CA's fails the start;
// fields weft does not act on are logged once.
func TestMeshConfigMeshWideSettings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var logs strings.Builder
	c := Config{ConfigDir: dir, CA: CAConfig{TrustDomain: "corp.example"}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		MeshConfig: write("mesh", "localityLbSetting: {enabled: false}\noutboundTrafficPolicy: {mode: REGISTRY_ONLY}\n"+
			"trustDomain: corp.example\ntrustDomainAliases: [old.example]\naccessLogFile: /dev/stdout\n")}
	opts, err := c.options()
	if err != nil {
		t.Fatal(err)
	}
	tr := opts.Translate
	if tr.LocalityLB.GetEnabled().GetValue() || tr.LocalityLB.GetEnabled() == nil || !tr.RegistryOnly || tr.TrustDomain != "corp.example" {
		t.Errorf("translate options %+v", tr)
	}
	if !slices.Equal(opts.TrustDomains, []string{"corp.example", "old.example"}) {
		t.Errorf("accepted trust domains %v", opts.TrustDomains)
	}
	if strings.Count(logs.String(), "accessLogFile") != 1 {
		t.Errorf("unread fields not logged once:\n%s", logs.String())
	}
	c.MeshConfig = write("other", "trustDomain: other.example\n")
	if _, err := c.options(); err == nil || !strings.Contains(err.Error(), "--trust-domain") {
		t.Errorf("mesh trust domain other than the CA's: error %v", err)
	}
	c.MeshConfig = ""
	if opts, _ := c.options(); opts.Translate.TrustDomain != "corp.example" {
		t.Errorf("without a mesh config the trust domain is --trust-domain's, got %q", opts.Translate.TrustDomain)
	}
}
