package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/weftmesh/weft/pilot/analysis"
)

// clusterOptions are kubectl's flags for reaching a cluster.
type clusterOptions struct {
	kubeconfig, context, namespace string
	allNamespaces                  bool
	timeout                        time.Duration
}

func (o *clusterOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	cmd.Flags().StringVar(&o.context, "context", "", "kubeconfig context to use")
	cmd.Flags().StringVarP(&o.namespace, "namespace", "n", "", "report on this namespace (default: the context's)")
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "report on every namespace")
	cmd.Flags().DurationVar(&o.timeout, "request-timeout", time.Minute, "bound on reading the cluster")
}

// wanted is true when a cluster flag was given, or no -f: then analyze
// reads the cluster (with the -f files applied on top).
func (o *clusterOptions) wanted(cmd *cobra.Command, files []string) bool {
	for _, f := range []string{"kubeconfig", "context", "namespace", "all-namespaces"} {
		if cmd.Flags().Changed(f) {
			return true
		}
	}
	return len(files) == 0
}

// analyzeCluster loads the cluster (plus files) and returns the messages
// for the chosen namespace(s).
func (o *clusterOptions) analyzeCluster(ctx context.Context, files []analysis.Input, opts analysis.Options) ([]analysis.Message, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("kubeconfig: %w", err)}
	}
	ns := o.namespace
	if ns == "" && !o.allNamespaces {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, &exitError{code: 2, err: fmt.Errorf("kubeconfig namespace: %w", err)}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	snap, pre, err := analysis.LoadCluster(ctx, analysis.ClusterOptions{Config: cfg, Files: files})
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("reading the cluster at %s: %w", cfg.Host, err)}
	}
	msgs := analysis.AnalyzeSnapshot(snap, pre, opts)
	if o.allNamespaces {
		return msgs, nil
	}
	return analysis.InNamespace(msgs, ns), nil
}
