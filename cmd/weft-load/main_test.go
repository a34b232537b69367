package main

import (
	"strings"
	"testing"
)

func TestPresetsAndOverrides(t *testing.T) {
	for _, tc := range []struct {
		args              []string
		services, proxies int
		scope             bool
		scenario          string
		kind              string // "" means the default, mixed
		entries           bool
	}{
		{args: nil, services: 100, proxies: 100},
		{args: []string{"--scenario", "S1"}, services: 1000, proxies: 2000, scope: true, scenario: "S1"},
		{args: []string{"--scenario", "s2"}, services: 1000, proxies: 10000, scope: true, scenario: "S2"},
		{args: []string{"--scenario", "S2", "--proxies", "50", "--scope=false"}, services: 1000, proxies: 50, scenario: "S2"},
		{args: []string{"--scenario", "S1", "--services", "10"}, services: 10, proxies: 2000, scope: true, scenario: "S1"},
		{args: []string{"--scope", "--services", "10"}, services: 10, proxies: 100, scope: true},
		{args: []string{"--scenario", "S3"}, services: 1000, proxies: 2000, scope: true, scenario: "S3", kind: "sidecar", entries: true},
		{args: []string{"--scenario", "S3", "--kind", "mixed", "--service-entries=false"}, services: 1000, proxies: 2000, scope: true, scenario: "S3"},
	} {
		if tc.kind == "" {
			tc.kind = "mixed"
		}
		f, err := parseFlags(tc.args)
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if f.services != tc.services || f.proxies != tc.proxies || f.scope != tc.scope || f.scenario != tc.scenario ||
			f.kind != tc.kind || f.entries != tc.entries {
			t.Errorf("%v: services %d proxies %d scope %v scenario %q kind %s entries %v", tc.args, f.services, f.proxies, f.scope, f.scenario, f.kind, f.entries)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--scenario S4":                         "S1, S2 or S3",
		"--change pod":                          "weight, endpoint or service",
		"--restart":                             "needs --weftd",
		"--weftd x --restart --change endpoint": "drop --change",
		"--kind envoy":                          "sidecar, grpc or mixed",
		"--tls":                                 "needs --ca-plugin-dir",
		"--connect-parallelism 0":               "at least 1",
		"--ca-plugin-dir d":                     "needs --tls",
		"--weftd x --tls --ca-plugin-dir d":     "writes its own CA",
	} {
		_, err := parseFlags(strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", args, err, want)
		}
	}
}
