package server

import (
	"io"
	"net"
	"syscall"

	"google.golang.org/grpc/mem"
)

// pooledReadConn is a tracked TCP connection that lets gRPC read into
// pooled buffers only when data is ready (gRPC's ReadOnReady interface).
// gRPC does that itself for a bare *net.TCPConn; a wrapper would otherwise
// pin a read buffer per idle proxy connection.
type pooledReadConn struct {
	*trackedConn
	raw syscall.RawConn
}

// rawReadable returns tc with ReadOnReady when its connection has a file
// descriptor to read from, else nil.
func rawReadable(tc *trackedConn) net.Conn {
	if _, ok := tc.Conn.(*net.TCPConn); !ok {
		return nil // e.g. TLS: reading the descriptor would bypass it
	}
	raw, err := tc.Conn.(syscall.Conn).SyscallConn()
	if err != nil {
		return nil
	}
	return &pooledReadConn{trackedConn: tc, raw: raw}
}

// ReadOnReady waits until the connection is readable, then reads up to
// bufSize bytes into a buffer from pool. n > 0 comes with a nil error.
func (c *pooledReadConn) ReadOnReady(bufSize int, pool mem.BufferPool) (*[]byte, int, error) {
	var (
		buf     *[]byte
		n       int
		readErr error
	)
	err := c.raw.Read(func(fd uintptr) bool {
		buf = pool.Get(bufSize)
		n, readErr = syscall.Read(int(fd), *buf)
		if readErr != nil {
			pool.Put(buf)
			buf = nil
		}
		return readErr != syscall.EAGAIN && readErr != syscall.EWOULDBLOCK
	})
	switch {
	case err != nil:
		if buf != nil {
			pool.Put(buf)
		}
		return nil, 0, err
	case readErr != nil:
		return nil, 0, readErr
	case n == 0: // the peer closed its side
		pool.Put(buf)
		return nil, 0, io.EOF
	}
	return buf, n, nil
}
