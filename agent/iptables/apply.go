package iptables

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"
)

// applyTimeout bounds iptables-restore (it can wait on the xtables lock).
const applyTimeout = 30 * time.Second

// Apply loads rules with iptables-restore. --noflush keeps rules other
// components put in the nat table; the ISTIO_* chains are declared in the
// input, which empties them first, so a re-run replaces their rules (it
// adds a second, equivalent jump from PREROUTING/OUTPUT, which changes
// nothing: the chains end in RETURN or a REDIRECT).
func Apply(ctx context.Context, rules string) error {
	bin, err := exec.LookPath("iptables-restore")
	if err != nil {
		return fmt.Errorf("iptables: iptables-restore not found (install iptables): %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, applyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--noflush", "--wait")
	cmd.Stdin = bytes.NewBufferString(rules)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iptables-restore: %w: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}
