// Package leangrpc serves gRPC services over HTTP/2 with one goroutine per
// connection plus one per running call, and no buffers held while a
// connection is idle. weftd's proxies keep an ADS stream open for hours
// and mostly idle; gRPC-Go's server costs about 30 KB per such connection
// (four goroutines, transport buffers), this one about 8 KB.
//
// Services register as with a *grpc.Server (it is a grpc.ServiceRegistrar)
// and their handlers see the same context: peer with TLS state, incoming
// metadata, deadline. Not supported: compression (requests that use it
// are refused with Unimplemented), interceptors, server reflection.
package leangrpc
