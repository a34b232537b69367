package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/agent/iptables"
	"github.com/weftmesh/weft/contract"
)

// init dispatches `weft-agent iptables ...` before the root command is
// built, because main.go (owned elsewhere) does not list this subcommand
// yet; adding root.AddCommand(iptablesCommand()) there makes this
// unnecessary. Test binaries never see "iptables" as their first argument.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "iptables" {
		cmd := iptablesCommand()
		cmd.SetArgs(os.Args[2:])
		if err := cmd.Execute(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
}

func iptablesCommand() *cobra.Command {
	var c iptables.Config
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "iptables",
		Short: "redirect the pod's TCP traffic through the sidecar (istio-init)",
		Long: "iptables writes the nat rules that send outbound TCP to --outbound-port and inbound TCP to\n" +
			"--inbound-port, exempting the proxy's UID/GID, with iptables-restore. --dry-run prints them\n" +
			"(iptables-restore input) instead. Runs as root with NET_ADMIN in the pod's network namespace.",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules, err := iptables.Rules(c)
			if err != nil {
				return err
			}
			if dryRun {
				_, err := fmt.Fprint(cmd.OutOrStdout(), rules)
				return err
			}
			return iptables.Apply(cmd.Context(), rules)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&dryRun, "dry-run", false, "print the rules instead of applying them")
	fl.IntVar(&c.ProxyUID, "proxy-uid", contract.ProxyUID, "UID of the proxy, whose traffic is not redirected")
	fl.IntVar(&c.ProxyGID, "proxy-gid", contract.ProxyUID, "GID of the proxy, whose traffic is not redirected")
	fl.IntVar(&c.OutboundPort, "outbound-port", contract.PortOutbound, "port of the outbound capture listener")
	fl.IntVar(&c.InboundPort, "inbound-port", contract.PortInbound, "port of the inbound capture listener")
	fl.StringVar(&c.IncludeOutboundCIDRs, "include-outbound-ip-ranges", "*", `outbound destinations to capture: "*", CIDR list, or "" for none`)
	fl.StringVar(&c.ExcludeOutboundCIDRs, "exclude-outbound-ip-ranges", "", "outbound CIDRs never captured")
	fl.StringVar(&c.ExcludeOutboundPorts, "exclude-outbound-ports", "", "outbound destination ports never captured")
	fl.StringVar(&c.IncludeInboundPorts, "include-inbound-ports", "*", `inbound ports to capture: "*", port list, or "" for none`)
	fl.StringVar(&c.ExcludeInboundPorts, "exclude-inbound-ports", contract.JoinPorts(contract.ExcludeInboundPorts), "inbound ports never captured (with \"*\")")
	return cmd
}
