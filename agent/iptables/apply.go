package iptables

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// applyTimeout bounds each iptables command (they can wait on the xtables
// lock).
const applyTimeout = 30 * time.Second

// Apply loads rules with iptables-restore. --noflush keeps rules other
// components put in the nat table; the ISTIO_* chains are declared in the
// input, which empties them first, and jumps from the built-in chains that
// already exist are left out, so running Apply again (a restarted init
// container) gives the same table instead of duplicate jumps.
func Apply(ctx context.Context, rules string) error {
	bin, err := exec.LookPath("iptables-restore")
	if err != nil {
		return fmt.Errorf("iptables: iptables-restore not found (install iptables): %w", err)
	}
	current, err := natTable(ctx)
	if err != nil {
		return err
	}
	out, err := run(ctx, strings.NewReader(withoutExistingJumps(rules, current)), bin, "--noflush", "--wait")
	if err != nil {
		return fmt.Errorf("iptables-restore: %w: %s", err, out)
	}
	return nil
}

// natTable is `iptables-save -t nat`; a missing iptables-save just means
// nothing is known to exist yet.
func natTable(ctx context.Context) (string, error) {
	bin, err := exec.LookPath("iptables-save")
	if err != nil {
		return "", nil
	}
	out, err := run(ctx, nil, bin, "-t", "nat")
	if err != nil {
		return "", fmt.Errorf("iptables-save: %w: %s", err, out)
	}
	return out, nil
}

// withoutExistingJumps drops "-A PREROUTING/OUTPUT ... -j ISTIO_*" lines
// already present in current.
func withoutExistingJumps(rules, current string) string {
	have := map[string]bool{}
	for _, l := range strings.Split(current, "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var b strings.Builder
	for _, l := range strings.SplitAfter(rules, "\n") {
		t := strings.TrimSpace(l)
		builtin := strings.HasPrefix(t, "-A PREROUTING ") || strings.HasPrefix(t, "-A OUTPUT ")
		if builtin && have[t] {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

func run(ctx context.Context, stdin *strings.Reader, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, applyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return strings.TrimSpace(errb.String()), err
	}
	return out.String(), nil
}
