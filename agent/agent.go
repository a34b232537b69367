// Package agent is weft's sidecar agent: it keeps the workload certificate
// issued by weftd's CA current and hands it, with the root bundle, to the
// proxy — as files plus a grpc-go xDS bootstrap for proxyless gRPC
// applications, or over SDS plus an Envoy bootstrap for Envoy sidecars.
//
// Tests run it in process: New, go Run, wait on Ready, read the outputs.
package agent

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/agent/caclient"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/certfiles"
	"github.com/weftmesh/weft/agent/sds"
)

// Mode selects the proxy the agent serves.
type Mode string

const (
	// ModeProxyless writes certificate files and a grpc-go xDS bootstrap.
	ModeProxyless Mode = "proxyless"
	// ModeEnvoy serves SDS and writes an Envoy bootstrap.
	ModeEnvoy Mode = "envoy"
)

// GRPCBootstrapFile is the bootstrap's name in OutputDir by default.
const GRPCBootstrapFile = "grpc-bootstrap.json"

// Options configure an Agent.
type Options struct {
	Mode     Mode
	Identity bootstrap.Identity

	// CAAddr is weftd's CA (host:port, TLS). CARoots verify its serving
	// certificate and are trusted for workloads too (the --ca-root bundle,
	// re-read per use). CAServerName overrides the name checked (default:
	// host of CAAddr). CAClient, if set, replaces all of these (tests).
	CAAddr       string
	CARoots      cert.TrustBundleFunc
	CAServerName string
	CAClient     cert.CertificateClient
	// TokenPath is the projected service-account token.
	TokenPath string
	// TTL is the requested certificate lifetime (zero: the CA's default).
	TTL time.Duration
	// Cert tunes the certificate manager (rotation, backoff, clock). Client,
	// TokenPath, TrustBundle, SPIFFEID, TTL and Logger are filled in from the
	// fields above.
	Cert cert.Options

	// XDSAddr is weftd's ADS address written into the bootstrap;
	// XDSPlaintext selects plaintext ADS (local weftd on 15010) instead of
	// mutual TLS; XDSServerName is the name Envoy checks on weftd's
	// certificate (default: host of XDSAddr).
	XDSAddr       string
	XDSPlaintext  bool
	XDSServerName string

	// Proxyless: OutputDir receives cert-chain.pem, key.pem, root-cert.pem
	// and, unless GRPCBootstrapPath says otherwise, grpc-bootstrap.json.
	// FileRefreshInterval is how often grpc-go re-reads the files (default
	// 10s); FileHold is certfiles.Options.Hold.
	OutputDir           string
	GRPCBootstrapPath   string
	FileRefreshInterval time.Duration
	FileHold            time.Duration

	// Envoy: SDSSocket is the Unix socket to serve; EnvoyBootstrapPath the
	// bootstrap to write; EnvoyAdminAddr defaults to 127.0.0.1:15000.
	SDSSocket          string
	EnvoyBootstrapPath string
	EnvoyAdminAddr     string

	Logger *slog.Logger
}

// Agent runs one proxy's certificate lifecycle and outputs.
type Agent struct {
	opts Options
	log  *slog.Logger
	mgr  *cert.Manager

	ready     chan struct{}
	readyOnce sync.Once
	closers   []func() error
}

// New checks opts and builds the agent; nothing runs until Run.
func New(opts Options) (*Agent, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.Identity = opts.Identity.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Mode == ModeProxyless && opts.GRPCBootstrapPath == "" {
		opts.GRPCBootstrapPath = filepath.Join(opts.OutputDir, GRPCBootstrapFile)
	}
	a := &Agent{opts: opts, log: opts.Logger, ready: make(chan struct{})}
	client, err := a.caClient()
	if err != nil {
		return nil, err
	}
	co := opts.Cert
	co.Client, co.TokenPath, co.TrustBundle = client, opts.TokenPath, opts.CARoots
	co.SPIFFEID, co.TTL, co.Logger = opts.Identity.SPIFFEID(), opts.TTL, opts.Logger
	if a.mgr, err = cert.NewManager(co); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (o Options) validate() error {
	var errs []error
	if err := o.Identity.Validate(); err != nil {
		errs = append(errs, err)
	}
	if o.TokenPath == "" {
		errs = append(errs, errors.New("token path is empty"))
	}
	if o.CAClient == nil && o.CAAddr == "" {
		errs = append(errs, errors.New("CA address is empty"))
	}
	if o.CAClient == nil && o.CARoots == nil {
		errs = append(errs, errors.New("CA root bundle is required to verify the CA"))
	}
	if o.XDSAddr == "" {
		errs = append(errs, errors.New("xDS address is empty"))
	}
	switch o.Mode {
	case ModeProxyless:
		if o.OutputDir == "" {
			errs = append(errs, errors.New("proxyless mode needs an output dir"))
		}
	case ModeEnvoy:
		if o.SDSSocket == "" || o.EnvoyBootstrapPath == "" {
			errs = append(errs, errors.New("envoy mode needs an SDS socket and an Envoy bootstrap path"))
		}
	default:
		errs = append(errs, fmt.Errorf("mode %q: want %q or %q", o.Mode, ModeProxyless, ModeEnvoy))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	return nil
}

// caClient dials weftd's CA, trusting the configured roots plus the roots
// of the current certificate: after a root rotation weftd may serve a
// certificate from a root that only the CA's own responses have told us.
func (a *Agent) caClient() (cert.CertificateClient, error) {
	if a.opts.CAClient != nil {
		return a.opts.CAClient, nil
	}
	c, err := caclient.New(caclient.Options{Addr: a.opts.CAAddr, ServerName: a.opts.CAServerName, Roots: a.caTrust})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, c.Close)
	return c, nil
}

func (a *Agent) caTrust() ([]*x509.Certificate, error) {
	roots, err := a.opts.CARoots()
	if a.mgr == nil {
		return roots, err
	}
	if cur := a.mgr.Current(); cur != nil {
		roots = append(roots, cur.Roots...)
	}
	if len(roots) == 0 {
		return nil, err
	}
	return roots, nil // a stale or missing file is fine while the bundle has roots
}

func (a *Agent) close() {
	for _, c := range a.closers {
		_ = c()
	}
}

// Ready is closed once the first certificate has reached every output (files
// and bootstrap, or SDS and bootstrap).
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Certificate is the current bundle (nil before the first).
func (a *Agent) Certificate() *cert.Bundle { return a.mgr.Current() }

// CertPaths are the proxyless certificate files.
func (a *Agent) CertPaths() certfiles.Paths { return certfiles.PathsIn(a.opts.OutputDir) }

// GRPCBootstrapPath is where the proxyless bootstrap is written.
func (a *Agent) GRPCBootstrapPath() string { return a.opts.GRPCBootstrapPath }

// Run runs until ctx ends and returns nil then, or an error if an output
// cannot be set up. The certificate is requested, retried and rotated
// meanwhile; every new one is written to the outputs.
func (a *Agent) Run(ctx context.Context) error {
	defer a.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, serve, err := a.outputs()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	for _, f := range []func(context.Context) error{a.mgr.Run, serve} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				errc <- err
				cancel()
			}
		}()
	}
	a.publishLoop(ctx, out)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// output receives each new bundle; the first call also writes the bootstrap.
type output func(b *cert.Bundle, first bool) error

// outputs prepares the mode's output and returns it with a background task
// (the SDS server, or nothing).
func (a *Agent) outputs() (output, func(context.Context) error, error) {
	if a.opts.Mode == ModeProxyless {
		out, err := a.proxylessOutput()
		return out, func(context.Context) error { return nil }, err
	}
	return a.envoyOutput()
}

func (a *Agent) proxylessOutput() (output, error) {
	w, err := certfiles.NewWriter(certfiles.Options{Dir: a.opts.OutputDir, Hold: a.opts.FileHold})
	if err != nil {
		return nil, err
	}
	bs, err := bootstrap.GRPC(bootstrap.GRPCOptions{
		Identity: a.opts.Identity, XDSAddr: a.opts.XDSAddr, XDSPlaintext: a.opts.XDSPlaintext,
		Certs: w.Paths(), RefreshInterval: a.opts.FileRefreshInterval,
	})
	if err != nil {
		return nil, err
	}
	return func(b *cert.Bundle, first bool) error {
		if err := w.Write(b); err != nil {
			return err
		}
		if !first {
			return nil
		}
		// After the files: an application waiting for the bootstrap to
		// appear then finds its credentials in place.
		return certfiles.WriteFileAtomic(a.opts.GRPCBootstrapPath, bs, 0o644)
	}, nil
}

func (a *Agent) envoyOutput() (output, func(context.Context) error, error) {
	bs, err := bootstrap.Envoy(bootstrap.EnvoyOptions{
		Identity: a.opts.Identity, XDSAddr: a.opts.XDSAddr, XDSPlaintext: a.opts.XDSPlaintext,
		XDSServerName: a.opts.XDSServerName, SDSSocket: a.opts.SDSSocket, AdminAddr: a.opts.EnvoyAdminAddr,
	})
	if err != nil {
		return nil, nil, err
	}
	// Listen now so a socket problem fails the start; Envoy's requests wait
	// in the cache until the first certificate.
	lis, err := sds.Listen(a.opts.SDSSocket)
	if err != nil {
		return nil, nil, err
	}
	srv := sds.New(sds.Options{Logger: a.log})
	out := func(b *cert.Bundle, first bool) error {
		if err := srv.Update(b); err != nil {
			return err
		}
		if !first {
			return nil
		}
		return certfiles.WriteFileAtomic(a.opts.EnvoyBootstrapPath, bs, 0o644)
	}
	return out, func(ctx context.Context) error { return srv.Serve(ctx, lis) }, nil
}

// publishLoop hands every new bundle to out. A failed write is retried every
// second until it succeeds or a newer bundle replaces it.
func (a *Agent) publishLoop(ctx context.Context, out output) {
	updates, cancel := a.mgr.Subscribe()
	defer cancel()
	var pending *cert.Bundle
	published := false
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case pending = <-updates:
		case <-retry.C:
		}
		if pending == nil {
			continue
		}
		if err := out(pending, !published); err != nil {
			a.log.Error("publish certificate", "cert", pending, "err", err, "retry_in", time.Second)
			retry.Reset(time.Second)
			continue
		}
		a.log.Info("certificate published", "mode", a.opts.Mode, "cert", pending)
		pending, published = nil, true
		a.readyOnce.Do(func() { close(a.ready) })
	}
}

// Run builds an agent from opts and runs it until ctx ends.
func Run(ctx context.Context, opts Options) error {
	a, err := New(opts)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
