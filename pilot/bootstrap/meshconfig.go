package bootstrap

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/weftmesh/weft/pilot/translate"
)

// readMeshConfig sets the translation options from --mesh-config, and the
// mesh's trust domain (--trust-domain, which the mesh config must agree
// with). Fields weft does not act on are logged once, here at startup.
func (c Config) readMeshConfig(opts *Options) error {
	opts.Translate.TrustDomain = c.CA.TrustDomain
	if c.MeshConfig == "" {
		return nil
	}
	data, err := os.ReadFile(c.MeshConfig)
	if err != nil {
		return fmt.Errorf("read mesh config: %w", err)
	}
	tr, err := translate.OptionsFromMeshConfig(data)
	if err != nil {
		return err
	}
	if err := checkTrustDomain(tr.TrustDomain, c.CA.TrustDomain); err != nil {
		return err
	}
	tr.TrustDomain = opts.Translate.TrustDomain
	opts.Translate = tr
	for _, a := range tr.TrustDomainAliases {
		if !slices.Contains(opts.TrustDomains, a) {
			opts.TrustDomains = append(opts.TrustDomains, a)
		}
	}
	if len(tr.Unread) > 0 && c.Logger != nil {
		c.Logger.Warn("mesh config fields weft does not act on", "file", c.MeshConfig, "fields", strings.Join(tr.Unread, ", "))
	}
	return nil
}

// checkTrustDomain refuses a mesh config naming another trust domain than
// the CA's: istiod takes it from the mesh config, weft from --trust-domain,
// and certificates and the identities clusters verify must agree.
func checkTrustDomain(mesh, flag string) error {
	if mesh == "" || mesh == flag {
		return nil
	}
	return fmt.Errorf("mesh config trustDomain %q differs from --trust-domain %q: pass --trust-domain %s", mesh, flag, mesh)
}
