// Package pipeline holds the end-to-end golden tests of weft's pure stages:
// config files → snapshot → mesh IR → per-proxy xDS, for an Envoy sidecar
// and a proxyless gRPC application.
package pipeline
