package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestIptablesDryRun(t *testing.T) {
	cmd := iptablesCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--dry-run", "--exclude-outbound-ports", "5432", "--include-inbound-ports", "9080"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"*nat\n", "-A ISTIO_OUTPUT -p tcp --dport 5432 -j RETURN\n",
		"-A ISTIO_INBOUND -p tcp --dport 9080 -j ISTIO_IN_REDIRECT\n", "--to-ports 15001\n", "COMMIT\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
}

func TestIptablesRejectsBadFlag(t *testing.T) {
	cmd := iptablesCommand()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--dry-run", "--exclude-outbound-ip-ranges", "10.0.0.0/99"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "10.0.0.0/99") {
		t.Fatalf("want error naming the range, got %v", err)
	}
}
