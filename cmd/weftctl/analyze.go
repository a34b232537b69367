package main

import (
	"fmt"
	"slices"
	"strings"
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
	outputThreshold  string
	listAnalyzers    bool
}

func newAnalyzeCommand() *cobra.Command {
	o := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze [-f FILE|DIR|- ...] [--kubeconfig FILE] [--context NAME] [-n NS | -A]",
		Short: "Find cross-resource problems (unknown hosts, missing subsets, conflicts, mTLS mismatches, ...)",
		Long: "analyze reports everything validate does plus cross-resource problems, each with a stable code\n" +
			"and a severity (see --list-analyzers): Istio's IST code where weft checks what an istioctl analyzer\n" +
			"checks, a WFT code for weft's own checks. It exits 1 when a message reaches --failure-threshold.\n" +
			"With -f only, it analyzes the files offline. Without -f, or with any cluster flag, it lists every\n" +
			"kind weft reads from the cluster (files given with -f replace the cluster's copies) and reports on\n" +
			"the current namespace, -n NS, or -A all of them.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAnalyze(cmd, o) },
	}
	o.addFlags(cmd)
	o.cluster.addFlags(cmd)
	cmd.Flags().StringArrayVarP(&o.suppress, "suppress", "S", nil, `suppress CODE=RESOURCE, e.g. -S 'IST0130=VirtualService default/*'; repeatable; a retired WFT code stands for the codes that replaced it`)
	cmd.Flags().StringVar(&o.failureThreshold, "failure-threshold", "Error", "lowest severity that makes analyze exit 1: Info, Warning or Error")
	cmd.Flags().StringVar(&o.outputThreshold, "output-threshold", "Info", "lowest severity to print: Info, Warning or Error (the exit status still counts every message)")
	cmd.Flags().BoolVarP(&o.listAnalyzers, "list-analyzers", "L", false, "list every code with its severity and description, then exit")
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
	shown, err := analysis.ParseSeverity(o.outputThreshold)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	opts, err := o.analysisOptions(cmd)
	if err != nil {
		return err
	}
	msgs, err := o.messages(cmd, opts)
	if err != nil {
		return err
	}
	analysis.Sort(msgs)
	if err := analysis.Write(cmd.OutOrStdout(), atLeast(msgs, shown), o.output); err != nil {
		return &exitError{code: 2, err: err}
	}
	return verdict(cmd, msgs, threshold, o.output)
}

// atLeast keeps the messages at or above min, for --output-threshold.
func atLeast(msgs []analysis.Message, min analysis.Severity) []analysis.Message {
	out := msgs[:0:0]
	for _, m := range msgs {
		if m.Severity >= min {
			out = append(out, m)
		}
	}
	return out
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

// analysisOptions parses -S; a retired code stands for its replacements,
// and an unknown code is a warning (it matches nothing), as in istioctl.
func (o *analyzeOptions) analysisOptions(cmd *cobra.Command) (analysis.Options, error) {
	var opts analysis.Options
	for _, s := range o.suppress {
		sups, known, err := analysis.ParseSuppressions(s)
		if err != nil {
			return opts, &exitError{code: 2, err: err}
		}
		if !known {
			fmt.Fprintf(cmd.ErrOrStderr(), "Warning: -S %q: unknown code %s, it suppresses nothing (see --list-analyzers)\n", s, sups[0].Code)
		}
		opts.Suppress = append(opts.Suppress, sups...)
	}
	return opts, nil
}

// verdict turns messages into the exit status: 1 when any reaches threshold.
func verdict(cmd *cobra.Command, msgs []analysis.Message, threshold analysis.Severity, output string) error {
	if len(msgs) > 0 && analysis.MaxSeverity(msgs) >= threshold {
		return &exitError{code: 1, err: fmt.Errorf("%d message(s), at or above %s", len(msgs), threshold)}
	}
	if len(msgs) == 0 && (output == "text" || output == "log") {
		fmt.Fprintln(cmd.ErrOrStderr(), "No problems found.")
	}
	return nil
}

func listAnalyzers(cmd *cobra.Command) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tSEVERITY\tNAME\tDESCRIPTION")
	codes := slices.Clone(analysis.Codes)
	slices.SortFunc(codes, func(a, b analysis.CodeInfo) int { return strings.Compare(a.Code, b.Code) }) // IST before WFT
	for _, c := range codes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Code, c.Severity, c.Name, c.Description)
	}
	return tw.Flush()
}
