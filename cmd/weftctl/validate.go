package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/pilot/analysis"
)

func init() { register(newValidateCommand) }

// inputOptions are the -f flags validate and analyze share.
type inputOptions struct {
	files  []string
	output string
}

func (o *inputOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&o.files, "filename", "f", nil, "file, directory or - (stdin) holding YAML/JSON config; repeatable")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "output format: text, json or yaml")
}

func (o *inputOptions) read(cmd *cobra.Command) ([]analysis.Input, error) {
	if len(o.files) == 0 {
		return nil, &exitError{code: 2, err: errors.New("no input: pass -f FILE|DIR|-")}
	}
	ins, err := analysis.ReadInputs(o.files, cmd.InOrStdin())
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return ins, nil
}

func newValidateCommand() *cobra.Command {
	var o inputOptions
	cmd := &cobra.Command{
		Use:   "validate -f FILE|DIR|- ...",
		Short: "Check config files against weft's schema and semantic validation",
		Long: "validate decodes every document strictly (unknown fields and wrong types are errors; an unknown istio.io\n" +
			"kind or version, or a Kubernetes object weft does not read that fails its schema, is a warning)\n" +
			"and applies the same validation weftd and the admission webhook apply. It exits 0 when clean, 1 on errors.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runValidate(cmd, &o) },
	}
	o.addFlags(cmd)
	return cmd
}

func runValidate(cmd *cobra.Command, o *inputOptions) error {
	ins, err := o.read(cmd)
	if err != nil {
		return err
	}
	msgs := analysis.Validate(ins)
	analysis.Sort(msgs)
	if err := analysis.Write(cmd.OutOrStdout(), msgs, o.output); err != nil {
		return &exitError{code: 2, err: err}
	}
	if analysis.HasErrors(msgs) {
		return &exitError{code: 1, err: fmt.Errorf("%d error(s) in %d file(s)", len(msgs), len(ins))}
	}
	if o.output == "text" {
		fmt.Fprintf(cmd.ErrOrStderr(), "%d file(s) valid\n", len(ins))
	}
	return nil
}
