package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/injector"
)

func init() { register(newKubeInjectCommand) }

// newKubeInjectCommand injects offline with the webhook's own code
// (injector.InjectYAML), so `kubectl apply -f <(weftctl kube-inject -f x)`
// gives the pods the webhook would.
func newKubeInjectCommand() *cobra.Command {
	s := injector.DefaultSettings()
	var file string
	cmd := &cobra.Command{
		Use:   "kube-inject -f FILE|-",
		Short: "Add weft's sidecar to the Pods and pod templates of Kubernetes YAML (offline)",
		Long: "kube-inject reads YAML (multi-document) and injects every Pod, Deployment, StatefulSet,\n" +
			"DaemonSet, ReplicaSet, Job and CronJob, whatever the namespace labels; other documents pass\n" +
			"through. Opted-out (sidecar.istio.io/inject=false), hostNetwork and already injected pods are\n" +
			"left unchanged. Invalid annotations are an error naming the document, annotation and value.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKubeInject(cmd, file, s)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "filename", "f", "", "input YAML file, or - for stdin")
	fl.StringVar(&s.AgentImage, "agent-image", s.AgentImage, "weft-agent image (istio-init and weft-agent containers)")
	fl.StringVar(&s.ProxyImage, "proxy-image", s.ProxyImage, "Envoy image (istio-proxy container)")
	fl.StringVar(&s.CAAddr, "ca-addr", s.CAAddr, "weftd's CA address given to weft-agent")
	fl.StringVar(&s.XDSAddr, "xds-addr", s.XDSAddr, "weftd's xDS address given to weft-agent")
	fl.StringVar(&s.Revision, "revision", s.Revision, "control-plane revision recorded in the injection status")
	fl.BoolVar(&s.NativeSidecars, "native-sidecars", s.NativeSidecars, "inject as native sidecars (init containers with restartPolicy Always; Kubernetes >= 1.29)")
	fl.StringVar(&s.LogLevel, "log-level", s.LogLevel, "default proxy log level (annotation sidecar.istio.io/logLevel overrides)")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func runKubeInject(cmd *cobra.Command, file string, s injector.Settings) error {
	in, err := readInput(cmd.InOrStdin(), file)
	if err != nil {
		return err
	}
	out, err := injector.InjectYAML(in, s)
	if err != nil {
		return fmt.Errorf("kube-inject %s: %w", file, err)
	}
	_, err = cmd.OutOrStdout().Write(out)
	return err
}

func readInput(stdin io.Reader, file string) ([]byte, error) {
	if file == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("kube-inject: %w", err)
	}
	return b, nil
}
