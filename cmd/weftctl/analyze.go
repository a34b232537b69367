package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/pilot/analysis"
)

func init() { register(newAnalyzeCommand) }

type analyzeOptions struct {
	inputOptions
	cluster          clusterOptions
	suppress         []string
	failureThreshold string
	listAnalyzers    bool
}

func newAnalyzeCommand() *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze [-f FILE|DIR|- ...] [--kubeconfig FILE] [--context NAME] [-n NS | -A]",
		Short: "Find cross-resource problems (unknown hosts, missing subsets, conflicts, mTLS mismatches, ...)",
		Long: "analyze reports everything validate does plus cross-resource problems, each with a stable code\n" +
			"(see --list-analyzers) and a severity. It exits 1 when a message reaches --failure-threshold.\n" +
			"With -f only, it analyzes the files offline. Without -f, or with any cluster flag, it lists every\n" +
			"kind weft reads from the cluster (files given with -f replace the cluster's copies) and reports on\n" +
			"the current namespace, -n NS, or -A all of them.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAnalyze(cmd, o) },
	}
	o.addFlags(cmd)
	o.cluster.addFlags(cmd)
	cmd.Flags().StringArrayVarP(&o.suppress, "suppress", "S", nil, `suppress CODE=RESOURCE, e.g. -S 'WFT0105=VirtualService default/*'; repeatable`)
	cmd.Flags().StringVar(&o.failureThreshold, "failure-threshold", "Error", "lowest severity that makes analyze exit 1: Info, Warning or Error")
	cmd.Flags().BoolVar(&o.listAnalyzers, "list-analyzers", false, "list every code with its severity and description, then exit")
	return cmd
}

func runAnalyze(cmd *cobra.Command, o *analyzeOptions) error {
	if o.listAnalyzers {
		return listAnalyzers(cmd)
	}
	threshold, err := analysis.ParseSeverity(o.failureThreshold)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	opts, err := o.analysisOptions()
	if err != nil {
		return err
	}
	msgs, err := o.messages(cmd, opts)
	if err != nil {
		return err
	}
	analysis.Sort(msgs)
	if err := analysis.Write(cmd.OutOrStdout(), msgs, o.output); err != nil {
		return &exitError{code: 2, err: err}
	}
	return verdict(cmd, msgs, threshold, o.output)
}

// messages analyzes the files offline, or the cluster with the files on top.
func (o *analyzeOptions) messages(cmd *cobra.Command, opts analysis.Options) ([]analysis.Message, error) {
	if !o.cluster.wanted(cmd, o.files) {
		ins, err := o.read(cmd)
		if err != nil {
			return nil, err
		}
		return analysis.Analyze(ins, opts), nil
	}
	ins, err := analysis.ReadInputs(o.files, cmd.InOrStdin())
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return o.cluster.analyzeCluster(cmd.Context(), ins, opts)
}

func (o *analyzeOptions) analysisOptions() (analysis.Options, error) {
	var opts analysis.Options
	for _, s := range o.suppress {
		sup, err := analysis.ParseSuppression(s)
		if err != nil {
			return opts, &exitError{code: 2, err: err}
		}
		opts.Suppress = append(opts.Suppress, sup)
	}
	return opts, nil
}

// verdict turns messages into the exit status: 1 when any reaches threshold.
func verdict(cmd *cobra.Command, msgs []analysis.Message, threshold analysis.Severity, output string) error {
	if len(msgs) > 0 && analysis.MaxSeverity(msgs) >= threshold {
		return &exitError{code: 1, err: fmt.Errorf("%d message(s), at or above %s", len(msgs), threshold)}
	}
	if len(msgs) == 0 && output == "text" {
		fmt.Fprintln(cmd.ErrOrStderr(), "No problems found.")
	}
	return nil
}

func listAnalyzers(cmd *cobra.Command) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tSEVERITY\tNAME\tDESCRIPTION")
	for _, c := range analysis.Codes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Code, c.Severity, c.Name, c.Description)
	}
	return tw.Flush()
}
