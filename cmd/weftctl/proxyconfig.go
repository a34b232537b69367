package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

func init() { register(newProxyConfigCommand) }

// dump is /debug/config_dump: type URL → resources as protojson objects.
type dump map[string][]map[string]any

func newProxyConfigCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy-config",
		Short: "Show the xDS configuration weftd serves to one proxy",
	}
	for _, section := range []string{"listeners", "routes", "clusters", "endpoints", "secrets", "all"} {
		cmd.AddCommand(newProxyConfigSection(section))
	}
	return cmd
}

func newProxyConfigSection(section string) *cobra.Command {
	o := &debugOptions{}
	cmd := &cobra.Command{
		Use:   section + " NODE_ID|POD.NAMESPACE",
		Short: "Show the " + section + " weftd serves to a proxy",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := o.resolveProxy(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var d dump
			if err := o.getJSON(cmd.Context(), "/debug/config_dump", url.Values{"proxy": {id}}, &d); err != nil {
				return err
			}
			return writeSections(cmd, d, section, o.output)
		},
	}
	o.addFlags(cmd, "table or json")
	return cmd
}

// resolveProxy accepts a node id or, as istioctl does, POD.NAMESPACE,
// matched against the "~POD.NS~" part of sidecar-style node ids.
func (o *debugOptions) resolveProxy(ctx context.Context, arg string) (string, error) {
	proxies, err := o.syncz(ctx)
	if err != nil {
		return "", err
	}
	var matches []string
	for _, p := range proxies {
		if p.ID == arg {
			return arg, nil
		}
		if strings.Contains(p.ID, "~"+arg+"~") {
			matches = append(matches, p.ID)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", fmt.Errorf("no connected proxy %q (see weftctl proxy-status)", arg)
	}
	return "", fmt.Errorf("%q matches %d proxies: %s", arg, len(matches), strings.Join(matches, ", "))
}

// sectionTypes maps a section to the type URLs it shows.
var sectionTypes = map[string][]string{
	"clusters":  {xdsTypes[0].url},
	"endpoints": {xdsTypes[1].url},
	"listeners": {xdsTypes[2].url},
	"routes":    {xdsTypes[3].url},
	"all":       {xdsTypes[0].url, xdsTypes[1].url, xdsTypes[2].url, xdsTypes[3].url},
}

func writeSections(cmd *cobra.Command, d dump, section, output string) error {
	if section == "secrets" {
		return writeSecretSection(cmd, d, output)
	}
	types := sectionTypes[section]
	switch output {
	case "json":
		sub := dump{}
		for _, t := range types {
			sub[t] = d[t]
		}
		return writeIndentedJSON(cmd.OutOrStdout(), sub)
	case "table":
		for i, t := range types {
			if i > 0 {
				fmt.Fprintln(cmd.OutOrStdout())
			}
			if err := writeTable(cmd.OutOrStdout(), t, d[t]); err != nil {
				return err
			}
		}
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("unknown output format %q (want table or json)", output)}
}

func writeSecretSection(cmd *cobra.Command, d dump, output string) error {
	refs := secretRefs(d)
	switch output {
	case "json":
		return writeIndentedJSON(cmd.OutOrStdout(), refs)
	case "table":
		return writeSecrets(cmd.OutOrStdout(), refs)
	}
	return &exitError{code: 2, err: fmt.Errorf("unknown output format %q (want table or json)", output)}
}
