package envoystandin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
)

// secretWatch follows one SDS secret on its own stream, as Envoy keeps one
// subscription per secret config, so rotations reach new handshakes.
type secretWatch struct {
	src   SecretSource
	parse func(*tlsv3.Secret) (any, error)
	node  *corev3.Node
	// nodeOnce sends the node on the first request only.
	nodeOnce bool
	// onChange is called after a new secret is accepted.
	onChange func()

	mu      sync.Mutex
	value   any // parsed secret: *tls.Certificate or *x509.CertPool
	version string
	nacks   []string
	err     error // why the stream ended
	ready   chan struct{}
	once    sync.Once
}

// watchSecret dials the SDS socket and starts the stream; it runs until ctx
// ends. conn is the caller's to close.
func watchSecret(ctx context.Context, w *secretWatch) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(pipeTarget(w.src.Pipe), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("SDS client for %s: %w", w.src.Pipe, err)
	}
	w.ready = make(chan struct{})
	go w.run(ctx, secretv3.NewSecretDiscoveryServiceClient(conn))
	return conn, nil
}

// pipeTarget is the gRPC target for an Envoy pipe path: a leading '@' is
// an abstract socket, as in Envoy.
func pipeTarget(path string) string {
	if name, ok := strings.CutPrefix(path, "@"); ok {
		return "unix-abstract:" + name
	}
	return "unix:" + path
}

func (w *secretWatch) run(ctx context.Context, client secretv3.SecretDiscoveryServiceClient) {
	stream, err := client.StreamSecrets(ctx)
	if err != nil {
		w.end(fmt.Errorf("open SDS stream for secret %q on %s: %w", w.src.Name, w.src.Pipe, err))
		return
	}
	req := &discoveryv3.DiscoveryRequest{Node: w.node, TypeUrl: resource.SecretType, ResourceNames: []string{w.src.Name}}
	for {
		if err := stream.Send(req); err != nil {
			w.end(fmt.Errorf("SDS send for %q: %w", w.src.Name, err))
			return
		}
		resp, err := stream.Recv()
		if err != nil {
			w.end(fmt.Errorf("SDS stream for %q on %s: %w", w.src.Name, w.src.Pipe, err))
			return
		}
		req = w.answer(resp)
	}
}

// answer applies a response and returns its ACK, or its NACK when the
// secret is unusable.
func (w *secretWatch) answer(resp *discoveryv3.DiscoveryResponse) *discoveryv3.DiscoveryRequest {
	ack := &discoveryv3.DiscoveryRequest{TypeUrl: resource.SecretType, ResourceNames: []string{w.src.Name}, ResponseNonce: resp.GetNonce()}
	if !w.nodeOnce {
		ack.Node = w.node
	}
	value, err := w.decode(resp)
	ack.VersionInfo = w.apply(resp.GetVersionInfo(), value, err)
	if err != nil {
		ack.ErrorDetail = &status.Status{Code: int32(codes.InvalidArgument), Message: err.Error()}
	} else if value != nil && w.onChange != nil {
		w.onChange()
	}
	return ack
}

// apply records the outcome and returns the version to acknowledge: the
// new one, or on a rejection the last accepted.
func (w *secretWatch) apply(version string, value any, err error) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.nacks = append(w.nacks, err.Error())
		return w.version
	}
	w.version = version
	if value != nil {
		w.value = value
		w.once.Do(func() { close(w.ready) })
	}
	return w.version
}

// decode finds the watched secret in resp and parses it; nil, nil when the
// response does not carry it.
func (w *secretWatch) decode(resp *discoveryv3.DiscoveryResponse) (any, error) {
	for _, a := range resp.GetResources() {
		s := &tlsv3.Secret{}
		if err := a.UnmarshalTo(s); err != nil {
			return nil, fmt.Errorf("SDS resource of type %s: %w", a.GetTypeUrl(), err)
		}
		if s.GetName() != w.src.Name {
			continue
		}
		if err := s.ValidateAll(); err != nil {
			return nil, fmt.Errorf("secret %q invalid: %w", s.GetName(), err)
		}
		v, err := w.parse(s)
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", s.GetName(), err)
		}
		return v, nil
	}
	return nil, nil
}

func (w *secretWatch) end(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	w.once.Do(func() { close(w.ready) })
}

// wait returns the first secret, or why none came before ctx ended.
func (w *secretWatch) wait(ctx context.Context) (any, error) {
	select {
	case <-w.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("secret %q from SDS socket %s not received: %w", w.src.Name, w.src.Pipe, ctx.Err())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.value == nil {
		return nil, w.err
	}
	return w.value, nil
}

// current is the latest accepted secret (set once wait succeeded).
func (w *secretWatch) current() any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.value
}

func (w *secretWatch) nackList() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.nacks...)
}

// parseCertificate turns a tls_certificate secret into a client certificate.
func parseCertificate(s *tlsv3.Secret) (any, error) {
	tc := s.GetTlsCertificate()
	if tc == nil {
		return nil, errors.New("not a tls_certificate secret")
	}
	chain, err := dataSource(tc.GetCertificateChain())
	if err != nil {
		return nil, fmt.Errorf("certificate_chain: %w", err)
	}
	key, err := dataSource(tc.GetPrivateKey())
	if err != nil {
		return nil, fmt.Errorf("private_key: %w", err)
	}
	c, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return nil, fmt.Errorf("certificate and key: %w", err)
	}
	return &c, nil
}

// parseRoots turns a validation_context secret into the trusted roots.
func parseRoots(s *tlsv3.Secret) (any, error) {
	vc := s.GetValidationContext()
	if vc == nil {
		return nil, errors.New("not a validation_context secret")
	}
	pemData, err := dataSource(vc.GetTrustedCa())
	if err != nil {
		return nil, fmt.Errorf("trusted_ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("trusted_ca holds no PEM certificate")
	}
	return pool, nil
}

// dataSource reads the forms Envoy reads.
func dataSource(ds *corev3.DataSource) ([]byte, error) {
	switch s := ds.GetSpecifier().(type) {
	case *corev3.DataSource_InlineBytes:
		return s.InlineBytes, nil
	case *corev3.DataSource_InlineString:
		return []byte(s.InlineString), nil
	case *corev3.DataSource_Filename:
		return os.ReadFile(s.Filename)
	case *corev3.DataSource_EnvironmentVariable:
		return []byte(os.Getenv(s.EnvironmentVariable)), nil
	default:
		return nil, errors.New("data source is empty")
	}
}
