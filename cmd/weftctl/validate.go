package main

import (
	"errors"

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
		Long: "validate checks each object on its own, as istioctl validate does: strict decoding (unknown fields,\n" +
			"wrong types and values are errors at their line and column) and the validation weftd and the admission\n" +
			"webhook apply. What weft accepts but does not act on is a warning, and so is an unknown istio.io kind or\n" +
			"version or a Kubernetes object weft does not read that fails its schema. Text goes to stderr in istioctl's\n" +
			"shape; it exits 0 when there are no errors, 1 otherwise (usage errors too).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runValidate(cmd, &o) },
	}
	o.addFlags(cmd)
	return cmd
}

func runValidate(cmd *cobra.Command, o *inputOptions) error {
	ins, err := o.read(cmd)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			ee.code = 1 // istioctl validate exits 1 for usage errors too
		}
		return err
	}
	msgs := analysis.Validate(ins)
	analysis.Sort(msgs)
	if err := writeValidate(cmd, ins, msgs, o.output); err != nil {
		return &exitError{code: 1, err: err}
	}
	if analysis.HasErrors(msgs) {
		cmd.SilenceErrors = true // the report already ends with "Error: N error(s) occurred"
		return &exitError{code: 1, err: errors.New("validation failed")}
	}
	return nil
}

// writeValidate: text goes to stderr in istioctl's shape; json and yaml
// records to stdout, for tools.
func writeValidate(cmd *cobra.Command, ins []analysis.Input, msgs []analysis.Message, format string) error {
	if format == "" || format == "text" {
		return writeValidateReport(cmd.ErrOrStderr(), ins, msgs)
	}
	return analysis.Write(cmd.OutOrStdout(), msgs, format)
}
