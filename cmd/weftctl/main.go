// Command weftctl is weft's CLI: validate and analyze config, inject
// sidecars offline, and inspect what weftd serves to proxies. Installed as
// kubectl-weft it also works as `kubectl weft ...`.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// subcommands are registered by each command's file in its init, so
// commands can be added without editing this file.
var subcommands []func() *cobra.Command

func register(newCmd func() *cobra.Command) { subcommands = append(subcommands, newCmd) }

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := rootCommand().Execute(); err != nil {
		os.Exit(exitCode(err))
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           commandName(),
		Short:         "weft's command line: validate, analyze, kube-inject, proxy-status, proxy-config",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print weftctl's version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "weftctl", version) },
	})
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd())
	}
	return root
}

// commandName follows kubectl's plugin convention: as kubectl-weft the
// usage lines read "kubectl weft ...".
func commandName() string {
	if strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") {
		return "kubectl weft"
	}
	return "weftctl"
}

// exitError carries a specific exit code (e.g. 1 for validation errors).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func exitCode(err error) int {
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return 1
}
