package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/injector"
	"github.com/weftmesh/weft/pilot/bootstrap"
)

// parse runs weftd's command with args and returns the Config it would
// start with, without starting anything.
func parse(t *testing.T, args ...string) (bootstrap.Config, error) {
	t.Helper()
	var got *bootstrap.Config
	prev := runConfig
	runConfig = func(_ context.Context, c bootstrap.Config) error {
		got = &c
		return nil
	}
	t.Cleanup(func() { runConfig = prev })
	cmd := command()
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	if err := cmd.Execute(); err != nil {
		return bootstrap.Config{}, err
	}
	if got == nil {
		t.Fatal("the command returned without starting weftd")
	}
	return *got, nil
}

// The defaults keep every unauthenticated port on loopback and the secure
// port at istiod's 15012; the pod's namespace and name come from the
// downward-API variables the chart sets.
func TestDefaults(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "mesh-cp")
	t.Setenv("POD_NAME", "weftd-0")
	c, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct{ got, want any }{
		"ConfigDir":      {c.ConfigDir, ""},
		"MaxFileBytes":   {c.ConfigMaxFileBytes, int64(16 << 20)},
		"Namespace":      {c.Namespace, "mesh-cp"},
		"PodName":        {c.PodName, "weftd-0"},
		"LeaderElect":    {c.LeaderElect, true},
		"XDSAddr":        {c.XDSAddr, "127.0.0.1:15010"},
		"DebugAddr":      {c.DebugAddr, "127.0.0.1:15014"},
		"SecureAddr":     {c.SecureAddr, "127.0.0.1:15012"},
		"HealthAddr":     {c.HealthAddr, ""},
		"Debounce.Quiet": {c.Debounce.Quiet, 100 * time.Millisecond},
		"Debounce.Max":   {c.Debounce.Max, time.Second},
		"TrustDomain":    {c.CA.TrustDomain, "cluster.local"},
		"Audiences":      {c.CA.Audiences, []string{contract.TokenAudience}},
		"Propagation":    {c.CA.Propagation, 15 * time.Minute},
		"Webhook.Addr":   {c.Webhook.Addr, "127.0.0.1:15017"},
		"Webhook.Svc":    {c.Webhook.Service, contract.WebhookService},
		"NativeSidecars": {c.Webhook.NativeSidecars, "auto"},
		"AgentImage":     {c.Webhook.Settings.AgentImage, injector.DefaultSettings().AgentImage},
		// Empty: bootstrap derives the address from weftd's namespace.
		"CAAddr": {c.Webhook.Settings.CAAddr, ""},
	} {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %v, want %v", name, tt.got, tt.want)
		}
	}
	if c.Logger == nil {
		t.Error("no logger set")
	}
}

func TestFlags(t *testing.T) {
	c, err := parse(t,
		"--config-dir", "/etc/mesh", "--namespace", "ops", "--pod-name", "p1", "--leader-elect=false",
		"--xds-addr", "", "--debug-addr", ":9999", "--health-addr", ":8080", "--secure-addr", "0.0.0.0:15012",
		"--debounce-quiet", "5ms", "--debounce-max", "2s", "--config-max-file-bytes", "1000",
		"--ca-plugin-dir", "/ca", "--trust-domain", "corp.example", "--trust-domain-alias", "old.example", "--trust-domain-alias", "older.example",
		"--token-audience", "a,b", "--ca-rotation-propagation", "1h", "--ca-sync-interval", "5s",
		"--webhook-addr", ":15017", "--webhook-service", "hooks", "--injector-agent-image", "agent:1", "--injector-proxy-image", "envoy:2",
		"--injector-ca-addr", "ca:1", "--injector-xds-addr", "xds:2", "--revision", "canary", "--injector-native-sidecars", "false",
		"--injector-proxy-log-level", "debug", "--log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	want := bootstrap.Config{
		ConfigDir: "/etc/mesh", ConfigMaxFileBytes: 1000, Namespace: "ops", PodName: "p1", LeaderElect: false,
		XDSAddr: "", DebugAddr: ":9999", HealthAddr: ":8080", SecureAddr: "0.0.0.0:15012",
		Debounce: bootstrap.DebounceOptions{Quiet: 5 * time.Millisecond, Max: 2 * time.Second},
		CA: bootstrap.CAConfig{PluginDir: "/ca", TrustDomain: "corp.example", TrustDomainAliases: []string{"old.example", "older.example"},
			Audiences: []string{"a", "b"}, Propagation: time.Hour, Sync: 5 * time.Second},
	}
	c.Logger = nil
	webhook := c.Webhook
	c.Webhook = bootstrap.WebhookConfig{}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config\n got %+v\nwant %+v", c, want)
	}
	s := webhook.Settings
	if webhook.Addr != ":15017" || webhook.Service != "hooks" || webhook.NativeSidecars != "false" ||
		s.AgentImage != "agent:1" || s.ProxyImage != "envoy:2" || s.CAAddr != "ca:1" || s.XDSAddr != "xds:2" ||
		s.Revision != "canary" || s.LogLevel != "debug" {
		t.Errorf("webhook config %+v", webhook)
	}
}

func TestBadFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--debounce-quiet", "soon"}, "debounce-quiet"},
		{[]string{"--no-such-flag"}, "no-such-flag"},
	} {
		_, err := parse(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one naming %s", tt.args, err, tt.want)
		}
	}
}

// An error from the control plane is the command's error.
func TestRunError(t *testing.T) {
	prev := runConfig
	t.Cleanup(func() { runConfig = prev })
	boom := errors.New("listen: address in use")
	runConfig = func(context.Context, bootstrap.Config) error { return boom }
	cmd := command()
	cmd.SetArgs(nil)
	cmd.SetErr(&strings.Builder{})
	if err := cmd.Execute(); !errors.Is(err, boom) {
		t.Errorf("Execute = %v, want %v", err, boom)
	}
}
