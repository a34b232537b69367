// Command demo is what `make run` starts: weftd with samples/config, two
// proxyless gRPC "reviews" backends (v1 on 127.0.0.2, v2 on 127.0.0.3) and a
// client calling reviews.default.svc.cluster.local:9080 at a steady rate,
// printing the live traffic split every second. Edit the weights in
// samples/config/reviews-routing.yaml and watch the split follow.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
)

const target = "reviews.default.svc.cluster.local:9080"

type options struct {
	weftd     string
	configDir string
	xdsAddr   string
	debugAddr string
	weftdLog  string
	rate      int
	duration  time.Duration
}

func main() {
	os.Exit(run())
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.weftd, "weftd", "bin/weftd", "weftd binary")
	flag.StringVar(&o.configDir, "config-dir", "samples/config", "config directory weftd watches")
	flag.StringVar(&o.xdsAddr, "xds-addr", "", "weftd xDS address (default: a free 127.0.0.1 port)")
	flag.StringVar(&o.debugAddr, "debug-addr", "", "weftd debug address (default: a free 127.0.0.1 port)")
	flag.StringVar(&o.weftdLog, "weftd-log", "-", `where weftd's output goes: "-" for stderr, or a file`)
	flag.IntVar(&o.rate, "rate", 200, "client RPCs per second (1..5000)")
	flag.DurationVar(&o.duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	flag.Parse()
	o.rate = min(max(o.rate, 1), 5000)
	return o
}

// run returns the exit code: 0 after Ctrl-C or --duration, 1 on failure.
func run() int {
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C during shutdown exits at once
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	if err := demo(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	fmt.Println("demo: stopped cleanly")
	return 0
}

// demo starts everything, runs traffic until ctx ends, and tears down in reverse order.
func demo(ctx context.Context, o options) error {
	wd, err := startWeftd(ctx, o)
	if err != nil {
		return err
	}
	defer wd.stop()
	backends, err := startBackends(ctx, wd.XDSAddr)
	defer stopBackends(backends)
	if err != nil {
		return err
	}
	client, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{
		Target: target, XDSAddr: wd.XDSAddr, PodName: "demo-client", Labels: map[string]string{"app": "demo-client"},
	})
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Printf("demo: calling %s at %d RPC/s; edit %s/reviews-routing.yaml to change the split; Ctrl-C to stop\n",
		target, o.rate, o.configDir)
	return traffic(ctx, client, wd, o.rate, os.Stdout)
}

// startBackends starts reviews-v1 and reviews-v2 and waits (bounded) until weftd made them SERVING.
func startBackends(ctx context.Context, xdsAddr string) ([]*grpcapp.Backend, error) {
	var bs []*grpcapp.Backend
	for i, v := range []string{"v1", "v2"} {
		b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{
			Name: "reviews-" + v, Addr: fmt.Sprintf("127.0.0.%d:9080", i+2), XDSAddr: xdsAddr,
			Namespace: "default", Labels: map[string]string{"app": "reviews", "version": v},
		})
		if err != nil {
			return bs, err
		}
		bs = append(bs, b)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := grpcapp.WaitServing(waitCtx, bs...); err != nil && ctx.Err() == nil {
		// Keep going: the live split then shows the errors, which is the useful signal.
		fmt.Fprintln(os.Stderr, "demo: warning:", err)
	}
	return bs, nil
}

func stopBackends(bs []*grpcapp.Backend) {
	for _, b := range bs {
		b.Stop()
	}
}

// traffic prints one split line per second until ctx ends or weftd exits.
func traffic(ctx context.Context, c *grpcapp.Client, wd *weftd, rate int, out io.Writer) error {
	for ctx.Err() == nil {
		res := c.Run(ctx, grpcapp.RunOptions{N: rate, Rate: float64(rate), Concurrency: 8, PerCallTimeout: time.Second})
		select {
		case <-wd.Exited():
			return errors.New("weftd exited unexpectedly; see its output above")
		default:
		}
		if ctx.Err() != nil {
			break // a partial second would show a misleading split
		}
		fmt.Fprintln(out, formatSplit(res))
	}
	return nil
}
