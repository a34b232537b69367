package leangrpc

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// stream is one call. Fields under "c.mu" are shared with the reader.
type stream struct {
	c      *conn
	id     uint32
	req    request
	ctx    context.Context
	cancel context.CancelFunc
	signal chan struct{} // the reader delivered something

	// Under c.mu.
	msgs       [][]byte // complete request messages not yet received
	partial    []byte   // the message being read, 5-byte prefix first
	want       int      // its full length with the prefix; 0 before the prefix is in
	buffered   int      // bytes in msgs and partial
	dataLen    int64    // request bytes, for a content-length
	recvErr    error    // a message the call cannot have
	halfClosed bool     // the client sent END_STREAM
	done       bool     // reset, or the connection closed
	doneWhy    error
	recvWindow int32
	unsent     uint32 // window not yet given back
	sendWindow int64
	ev         Events // an evented call's; nil for a handler's
	running    bool   // a goroutine serves the call (opening, handler, or drain)

	// Under sendMu: an evented call sends from more than one goroutine
	// (its pushes and its requests'), and its trailers must follow any
	// message being sent.
	sendMu     sync.Mutex
	finished   bool // trailers sent or due: no more messages
	headerSent bool
	header     metadata.MD
	trailer    metadata.MD
}

func newStream(c *conn, id uint32, req request) *stream {
	st := &stream{c: c, id: id, req: req, signal: make(chan struct{}, 1),
		recvWindow: initialWindow, sendWindow: c.peerWindow}
	ctx := metadata.NewIncomingContext(c.ctx, req.md)
	if req.timeout > 0 {
		ctx, st.cancel = context.WithTimeout(ctx, req.timeout)
	} else {
		ctx, st.cancel = context.WithCancel(ctx)
	}
	st.ctx = grpc.NewContextWithServerTransportStream(ctx, transportStream{st})
	// A sender waiting for window must see the deadline pass.
	context.AfterFunc(st.ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.cond.Broadcast()
		st.wakeLocked()
	})
	return st
}

// notify tells the call the reader delivered something. Callers hold c.mu.
func (st *stream) notify() {
	select {
	case st.signal <- struct{}{}:
	default:
	}
	st.wakeLocked()
}

// cancelLocked ends the stream for its call: its context is canceled and
// its sends and receives fail.
func (st *stream) cancelLocked(why error) {
	if st.done {
		return
	}
	st.done, st.doneWhy = true, why
	st.cancel()
	delete(st.c.streams, st.id)
	st.notify()
	st.c.cond.Broadcast()
}

// feed adds request bytes, cutting them into length-prefixed messages.
func (st *stream) feed(data []byte, limit int) {
	if st.recvErr != nil {
		return
	}
	for len(data) > 0 {
		if st.want == 0 {
			n := min(5-len(st.partial), len(data))
			st.partial = append(st.partial, data[:n]...)
			data = data[n:]
			st.buffered += n
			if len(st.partial) < 5 {
				return
			}
			if st.partial[0] != 0 {
				st.recvErr = status.Error(codes.Unimplemented, "grpc: compressed request messages are not supported")
				return
			}
			size := int(binary.BigEndian.Uint32(st.partial[1:5]))
			if size > limit {
				st.recvErr = status.Errorf(codes.ResourceExhausted, "grpc: received message larger than max (%d vs. %d)", size, limit)
				return
			}
			st.want = 5 + size
			st.partial = append(make([]byte, 0, st.want), st.partial...)
		}
		n := min(st.want-len(st.partial), len(data))
		st.partial = append(st.partial, data[:n]...)
		data = data[n:]
		st.buffered += n
		if len(st.partial) == st.want {
			st.msgs = append(st.msgs, st.partial)
			st.partial, st.want = nil, 0
		}
	}
}

// Context is the call's: the peer, incoming metadata and deadline.
func (st *stream) Context() context.Context { return st.ctx }

// RecvMsg reads the next request message into m; io.EOF once the client
// has sent its last.
func (st *stream) RecvMsg(m any) error {
	for {
		msg, err := st.next()
		st.c.flushSoon()
		if err != nil {
			return err
		}
		if msg != nil {
			if err := st.c.srv.opts.Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(msg[5:])}, m); err != nil {
				return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
			}
			return nil
		}
		select {
		case <-st.signal:
		case <-st.ctx.Done():
			return status.FromContextError(st.ctx.Err()).Err()
		}
	}
}

// next takes a complete message, if any; (nil, nil) means wait.
func (st *stream) next() ([]byte, error) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(st.msgs) > 0 {
		msg := st.msgs[0]
		st.msgs[0] = nil
		st.msgs = st.msgs[1:]
		if len(st.msgs) == 0 {
			st.msgs = nil
		}
		st.buffered -= len(msg)
		return msg, c.giveWindowLocked(st)
	}
	switch {
	case st.recvErr != nil:
		return nil, st.recvErr
	case st.done:
		return nil, st.doneError()
	case st.halfClosed:
		return nil, io.EOF
	}
	return nil, nil
}

func (st *stream) doneError() error {
	if errors.Is(st.doneWhy, errStreamReset) || st.ctx.Err() == nil {
		return status.Error(codes.Canceled, "grpc: the client canceled the call")
	}
	return status.FromContextError(st.ctx.Err()).Err()
}

// SendMsg sends a response message.
func (st *stream) SendMsg(m any) error {
	data, err := st.c.srv.opts.Codec.Marshal(m)
	if err != nil {
		return status.Errorf(codes.Internal, "grpc: error while marshaling: %v", err)
	}
	defer data.Free()
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	if st.finished {
		return status.Error(codes.Canceled, "grpc: the call has ended")
	}
	if err := st.ensureHeaderLocked(); err != nil {
		return err
	}
	return st.c.sendData(st, data)
}

// SetHeader adds response headers, sent with the first message.
func (st *stream) SetHeader(md metadata.MD) error {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	return st.setHeaderLocked(md)
}

func (st *stream) setHeaderLocked(md metadata.MD) error {
	if st.headerSent {
		return status.Error(codes.Internal, "grpc: headers already sent")
	}
	st.header = metadata.Join(st.header, md)
	return nil
}

// SendHeader sends the response headers now.
func (st *stream) SendHeader(md metadata.MD) error {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	if err := st.setHeaderLocked(md); err != nil {
		return err
	}
	return st.ensureHeaderLocked()
}

func (st *stream) ensureHeaderLocked() error {
	if st.headerSent {
		return nil
	}
	st.headerSent = true
	return st.c.writeHeaders(st, responseHeaders(st.header), false)
}

// SetTrailer adds trailers, sent when the call ends.
func (st *stream) SetTrailer(md metadata.MD) {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	st.trailer = metadata.Join(st.trailer, md)
}

// Method is the call's full method name (grpc.ServerTransportStream).
func (st *stream) Method() string { return st.req.path }

// transportStream lets grpc.SetHeader and friends reach the stream.
type transportStream struct{ *stream }

func (t transportStream) SetTrailer(md metadata.MD) error {
	t.stream.SetTrailer(md)
	return nil
}

var (
	_ grpc.ServerTransportStream = transportStream{}
	_ grpc.ServerStream          = (*stream)(nil)
)
