package grpcapp

import (
	"fmt"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
)

// serverCreds uses the TLS config weftd sends when there is a certificate
// dir, and plaintext when weftd sends none (as grpc-go's xDS credentials do).
func serverCreds(certDir string) (credentials.TransportCredentials, error) {
	if certDir == "" {
		return insecure.NewCredentials(), nil
	}
	c, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		return nil, fmt.Errorf("xDS server credentials: %w", err)
	}
	return c, nil
}

func clientCreds(certDir string) (credentials.TransportCredentials, error) {
	if certDir == "" {
		return insecure.NewCredentials(), nil
	}
	c, err := xdscreds.NewClientCredentials(xdscreds.ClientOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		return nil, fmt.Errorf("xDS client credentials: %w", err)
	}
	return c, nil
}
