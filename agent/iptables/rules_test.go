package iptables

import (
	"os"
	"strings"
	"testing"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestMain runs the package inside a private network namespace, so the
// capture test can change the nat table without touching the machine.
func TestMain(m *testing.M) { os.Exit(kubeenv.InPrivateNetwork(m)) }

func defaults() Config {
	return Config{ProxyUID: 1337, ProxyGID: 1337, OutboundPort: 15001, InboundPort: 15006,
		IncludeOutboundCIDRs: "*", IncludeInboundPorts: "*", ExcludeInboundPorts: "15020,15021,15090"}
}

func TestRulesShape(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mod       func(*Config)
		want, not []string
	}{
		{name: "defaults", want: []string{
			"*nat\n:ISTIO_INBOUND - [0:0]\n", "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n",
			"-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006\n", "-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN\n",
			"-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN\n", "-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN\n",
			"-A ISTIO_OUTPUT -j ISTIO_REDIRECT\nCOMMIT\n"}},
		{name: "outbound ranges and ports", mod: func(c *Config) {
			c.IncludeOutboundCIDRs, c.ExcludeOutboundCIDRs, c.ExcludeOutboundPorts = "10.96.0.0/12,fd00::/8", "10.96.0.1/32", "5432"
		}, want: []string{"-A ISTIO_OUTPUT -d 10.96.0.0/12 -j ISTIO_REDIRECT\n", "-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN\n",
			"-A ISTIO_OUTPUT -p tcp --dport 5432 -j RETURN\n"}, not: []string{"-A ISTIO_OUTPUT -j ISTIO_REDIRECT", "fd00"}},
		{name: "inbound port list", mod: func(c *Config) { c.IncludeInboundPorts = "9080" },
			want: []string{"-A ISTIO_INBOUND -p tcp --dport 9080 -j ISTIO_IN_REDIRECT\n"}, not: []string{"-A ISTIO_INBOUND -p tcp -j"}},
		{name: "no inbound capture", mod: func(c *Config) { c.IncludeInboundPorts = "" },
			not: []string{"PREROUTING", "-j ISTIO_IN_REDIRECT\n-A ISTIO_OUTPUT"}},
		{name: "no outbound capture", mod: func(c *Config) { c.IncludeOutboundCIDRs = "" }, not: []string{"-j ISTIO_REDIRECT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := defaults()
			if tc.mod != nil {
				tc.mod(&c)
			}
			rules, err := Rules(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(rules, w) {
					t.Errorf("missing %q in\n%s", w, rules)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(rules, n) {
					t.Errorf("unexpected %q in\n%s", n, rules)
				}
			}
		})
	}
}

func TestRulesRejectInvalid(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.ProxyUID = 0 },
		func(c *Config) { c.OutboundPort = 70000 },
		func(c *Config) { c.IncludeOutboundCIDRs = "10.0.0.0/40" },
		func(c *Config) { c.ExcludeOutboundPorts = "http" },
		func(c *Config) { c.IncludeInboundPorts = "0" },
	} {
		c := defaults()
		mod(&c)
		if _, err := Rules(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestWithoutExistingJumps(t *testing.T) {
	rules := "*nat\n-A PREROUTING -p tcp -j ISTIO_INBOUND\n-A OUTPUT -p tcp -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -j ISTIO_REDIRECT\nCOMMIT\n"
	current := "*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p tcp -j ISTIO_OUTPUT\n-A ISTIO_OUTPUT -j ISTIO_REDIRECT\nCOMMIT\n"
	want := "*nat\n-A PREROUTING -p tcp -j ISTIO_INBOUND\n-A ISTIO_OUTPUT -j ISTIO_REDIRECT\nCOMMIT\n"
	if got := withoutExistingJumps(rules, current); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
