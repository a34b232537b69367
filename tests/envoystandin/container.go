package envoystandin

import (
	"context"
	"fmt"
)

// Container is how the proxy's container sees this machine: paths through
// its volume mounts, names through its /etc/hosts. The stand-in runs in the
// test's process, so what the bootstrap names is looked up through it.
type Container struct {
	// Path maps a path inside the container to this machine.
	Path func(string) (string, error)
	// Hosts are the container's /etc/hosts entries: name → IP.
	Hosts map[string]string
}

// StartInContainer reads the bootstrap at path (inside the container) and
// starts a stand-in that reaches the SDS socket and the ADS cluster as the
// container would; SNI and SAN checks still use the bootstrap's names.
func StartInContainer(ctx context.Context, path string, c Container) (*Envoy, error) {
	host, err := c.Path(path)
	if err != nil {
		return nil, fmt.Errorf("bootstrap %s: %w", path, err)
	}
	b, err := ReadBootstrap(host)
	if err != nil {
		return nil, err
	}
	if err := c.rewrite(b); err != nil {
		return nil, err
	}
	return Start(ctx, b)
}

// rewrite points the SDS pipes and the ADS address at what they are here.
func (c Container) rewrite(b *Bootstrap) error {
	if b.ADS.ResolveByDNS {
		b.ADS.ResolvedIP = c.Hosts[b.ADS.Host]
	}
	if b.ADS.TLS == nil {
		return nil
	}
	for _, src := range []*SecretSource{&b.ADS.TLS.Certificate, &b.ADS.TLS.Validation} {
		p, err := c.Path(src.Pipe)
		if err != nil {
			return fmt.Errorf("SDS socket of secret %q: %w", src.Name, err)
		}
		src.Pipe = p
	}
	return nil
}
