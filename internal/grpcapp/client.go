package grpcapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/xds"
)

// ClientOptions configure one proxyless xDS client (one "pod" calling a service).
type ClientOptions struct {
	Target         string // host:port of the service, e.g. "reviews.default.svc.cluster.local:9080"
	XDSAddr        string // control plane ADS address
	PodName        string // defaults to "client"
	NodeID         string // optional; derived from IP, PodName and Namespace
	Namespace      string // defaults to "default"
	IP             string // defaults to 127.0.0.1
	Labels         map[string]string
	ServiceAccount string
	// CertDir enables xDS-configured TLS (see BootstrapOptions.CertDir).
	CertDir string
	// Bootstrap, if set, is the xDS bootstrap as weft-agent wrote it.
	Bootstrap []byte
	// Locality is the node locality in the bootstrap (region/zone/subzone).
	Locality string
}

// Client calls grpc.testing.TestService/UnaryCall through xds:///Target.
type Client struct {
	target string
	conn   *grpc.ClientConn
	stub   testpb.TestServiceClient
	idBase string        // random per client so call ids never collide across clients
	seq    atomic.Uint64 // per-call counter appended to idBase
}

// NewClient creates the xDS channel and starts resolving Target right away.
func NewClient(_ context.Context, opts ClientOptions) (*Client, error) {
	if opts.Target == "" {
		return nil, errors.New("client: Target is required")
	}
	if opts.PodName == "" {
		opts.PodName = "client"
	}
	bs, err := orBootstrap(opts.Bootstrap, BootstrapOptions{
		XDSAddr: opts.XDSAddr, NodeID: opts.NodeID, PodName: opts.PodName, Namespace: opts.Namespace,
		IP: opts.IP, Labels: opts.Labels, ServiceAccount: opts.ServiceAccount, CertDir: opts.CertDir,
		Locality: opts.Locality,
	})
	if err != nil {
		return nil, fmt.Errorf("client %s: %w", opts.Target, err)
	}
	rb, err := xds.NewXDSResolverWithConfigForTesting(bs)
	if err != nil {
		return nil, fmt.Errorf("client %s: xDS resolver: %w", opts.Target, err)
	}
	creds, err := clientCreds(opts.CertDir)
	if err != nil {
		return nil, fmt.Errorf("client %s: %w", opts.Target, err)
	}
	conn, err := grpc.NewClient("xds:///"+opts.Target, grpc.WithResolvers(rb), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("client %s: new channel: %w", opts.Target, err)
	}
	conn.Connect()
	return &Client{target: opts.Target, conn: conn, stub: testpb.NewTestServiceClient(conn), idBase: randomID()}, nil
}

// randomID returns 16 hex characters.
func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// Target returns the service host:port this client calls.
func (c *Client) Target() string { return c.target }

// Conn exposes the channel, e.g. to inspect its connectivity state.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Call makes one UnaryCall and returns the name of the backend that served it.
// md is sent as request metadata; an x-call-id is added unless md has one.
func (c *Client) Call(ctx context.Context, md metadata.MD) (string, error) {
	md = md.Copy()
	if len(md.Get(CallIDHeader)) == 0 {
		md.Set(CallIDHeader, fmt.Sprintf("%s-%d", c.idBase, c.seq.Add(1)))
	}
	ctx = metadata.NewOutgoingContext(ctx, md)
	resp, err := c.stub.UnaryCall(ctx, &testpb.SimpleRequest{FillServerId: true})
	if err != nil {
		return "", err
	}
	return resp.GetServerId(), nil
}

// Close shuts the channel (and its xDS client) down.
func (c *Client) Close() error { return c.conn.Close() }
