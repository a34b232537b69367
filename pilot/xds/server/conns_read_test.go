package server

import (
	"errors"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc/mem"
)

// gRPC reads into pooled buffers only from a connection with ReadOnReady;
// the tracked listener's TCP connections have it, and it reads what the
// peer sent, then io.EOF once the peer closes.
func TestTrackedTCPConnReadsIntoPooledBuffers(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tracked := (&Server{}).Listener(lis)
	defer tracked.Close()
	client, err := net.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := tracked.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rr, ok := c.(interface {
		ReadOnReady(int, mem.BufferPool) (*[]byte, int, error)
	})
	if !ok {
		t.Fatalf("accepted %T: no ReadOnReady, gRPC would pin a read buffer per connection", c)
	}
	pool := mem.NewTieredBufferPool(64)
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf, n, err := rr.ReadOnReady(64, pool)
	if err != nil {
		t.Fatalf("ReadOnReady: %v", err)
	}
	if got := string((*buf)[:n]); got != "hello" {
		t.Fatalf("ReadOnReady read %q, want hello", got)
	}
	pool.Put(buf)
	client.Close()
	if _, n, err := rr.ReadOnReady(64, pool); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the peer closed: %d bytes, %v; want io.EOF", n, err)
	}
}
