// Command etcd runs a single-member embedded etcd for tests/kubeenv.
//
// It listens only on the address given by --bind (default 127.0.0.1) and
// refuses unspecified addresses, so a test never exposes etcd beyond loopback
// or the test's own network namespace. Ports may be 0: the bound client URL is
// then written to --addr-file, which avoids racing other tests for a port.
// SIGTERM or SIGINT closes the server cleanly.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

type options struct {
	bind        string
	clientPort  int
	peerPort    int
	dataDir     string
	addrFile    string
	logLevel    string
	noFsync     bool
	startupWait time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.bind, "bind", "127.0.0.1", "IP address to listen on (client and peer); must not be unspecified")
	flag.IntVar(&o.clientPort, "client-port", 2379, "client port; 0 picks a free one (see --addr-file)")
	flag.IntVar(&o.peerPort, "peer-port", 0, "peer port; 0 picks a free one")
	flag.StringVar(&o.dataDir, "data-dir", "", "data directory (required)")
	flag.StringVar(&o.addrFile, "addr-file", "", "if set, write the bound client URL here once serving")
	flag.StringVar(&o.logLevel, "log-level", "warn", "zap log level: debug, info, warn, error")
	flag.BoolVar(&o.noFsync, "unsafe-no-fsync", false, "skip fsync (faster; for throwaway test data only)")
	flag.DurationVar(&o.startupWait, "startup-timeout", time.Minute, "give up if not serving within this time")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "etcd:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	cfg, err := config(o)
	if err != nil {
		return err
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start etcd: %w", err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(o.startupWait):
		e.Server.Stop()
		return fmt.Errorf("etcd not ready after %s", o.startupWait)
	}
	clientURL := "http://" + e.Clients[0].Addr().String()
	if err := writeAddrFile(o.addrFile, clientURL); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "etcd: serving clients on", clientURL)
	return wait(e)
}

func config(o options) (*embed.Config, error) {
	if o.dataDir == "" {
		return nil, errors.New("--data-dir is required")
	}
	ip := net.ParseIP(o.bind)
	if ip == nil || ip.IsUnspecified() {
		return nil, fmt.Errorf("--bind %q: want a specific IP address, not a name or 0.0.0.0/::", o.bind)
	}
	cfg := embed.NewConfig()
	cfg.Name = "kubeenv"
	cfg.Dir = o.dataDir
	cfg.Logger = "zap"
	cfg.LogLevel = o.logLevel
	cfg.LogOutputs = []string{"stderr"}
	cfg.UnsafeNoFsync = o.noFsync
	client := hostURL(o.bind, o.clientPort)
	peer := hostURL(o.bind, o.peerPort)
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	// A single member never dials its peer URL, so a ":0" entry here only has
	// to match the advertised one.
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	return cfg, nil
}

func hostURL(ip string, port int) url.URL {
	return url.URL{Scheme: "http", Host: net.JoinHostPort(ip, strconv.Itoa(port))}
}

// writeAddrFile writes atomically so a reader polling the file never sees a
// partial URL.
func writeAddrFile(path, clientURL string) error {
	if path == "" {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(clientURL+"\n"), 0o644); err != nil {
		return fmt.Errorf("write addr file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write addr file: %w", err)
	}
	return nil
}

// wait blocks until a termination signal or a fatal server error.
func wait(e *embed.Etcd) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case s := <-sig:
		fmt.Fprintln(os.Stderr, "etcd: got", s, "- shutting down")
		return nil
	case err := <-e.Err():
		return fmt.Errorf("etcd server: %w", err)
	}
}
