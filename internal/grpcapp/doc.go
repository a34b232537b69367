// Package grpcapp provides real proxyless gRPC applications (grpc-go xDS
// clients and xDS-enabled servers) for weft's end-to-end tests and demo.
//
// Everything talks to an xDS control plane over plaintext gRPC and carries
// traffic only on 127.0.0.0/8; distinct loopback addresses (127.0.0.2,
// 127.0.0.3, ...) stand in for distinct pods listening on the same port.
package grpcapp
