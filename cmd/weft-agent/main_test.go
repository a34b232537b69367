package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/agent/certfiles"
	"github.com/weftmesh/weft/agent/testca"
)

// weft-agent proxy, in process, against a CA on loopback: identity from the
// environment and labels file, outputs where the flags say, clean exit on
// cancel (what SIGTERM does through signal.NotifyContext).
func TestProxyCommandProxyless(t *testing.T) {
	ca, err := testca.New(testca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Serve()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := write("root-cert.pem", string(ca.RootsPEM()))
	token := write("istio-token", "spiffe://cluster.local/ns/prod/sa/bookinfo-reviews")
	labels := write("labels", "app=\"reviews\"\nversion=\"v2\"\n")
	out := filepath.Join(dir, "out")
	for k, v := range map[string]string{"POD_NAME": "reviews-v2-xyz", "POD_NAMESPACE": "prod", "INSTANCE_IP": "10.244.1.3", "SERVICE_ACCOUNT": "bookinfo-reviews"} {
		t.Setenv(k, v)
	}

	cmd := command()
	cmd.SetArgs([]string{"proxy", "--mode", "proxyless", "--ca-addr", srv.Addr(), "--ca-root", root,
		"--xds-addr", "127.0.0.1:15010", "--xds-plaintext", "--token-path", token, "--labels-file", labels,
		"--output-dir", out, "--ttl", "1h", "--log-level", "warn", "--status-addr", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	bsPath := filepath.Join(out, "grpc-bootstrap.json")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := os.Stat(bsPath); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("weft-agent exited early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no grpc-bootstrap.json")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var bs struct {
		Node struct {
			ID       string `json:"id"`
			Metadata struct {
				Labels map[string]string `json:"LABELS"`
			} `json:"metadata"`
		} `json:"node"`
	}
	raw, err := os.ReadFile(bsPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	if bs.Node.ID != "sidecar~10.244.1.3~reviews-v2-xyz.prod~prod.svc.cluster.local" || bs.Node.Metadata.Labels["version"] != "v2" {
		t.Errorf("node %q labels %v", bs.Node.ID, bs.Node.Metadata.Labels)
	}
	files, err := certfiles.Read(out)
	if err != nil || !strings.Contains(string(files.Key), "PRIVATE KEY") {
		t.Errorf("certificate files: %v", err)
	}
	if reqs := ca.Requests(); len(reqs) == 0 || reqs[0].Validity != time.Hour {
		t.Errorf("CA requests %+v, want the --ttl", reqs)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("weft-agent did not stop")
	}
}

func TestProxyCommandRejectsAMissingNamedLabelsFile(t *testing.T) {
	cmd := command()
	cmd.SetArgs([]string{"proxy", "--labels-file", filepath.Join(t.TempDir(), "absent")})
	cmd.SetErr(new(strings.Builder))
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--labels-file") {
		t.Errorf("err %v", err)
	}
}
