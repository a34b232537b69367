package leangrpc

import (
	"bytes"
	"encoding/binary"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// writeChunk is the most response data framed per write.
const writeChunk = 64 << 10

var writePool = sync.Pool{New: func() any { b := make([]byte, 0, writeChunk+4<<10); return &b }}

// queueControl queues a frame the reader owes the peer (acks, window
// updates, resets); the next writer sends it. It never blocks on a
// writer: a peer that does not read must not stop weft reading it.
// Callers may hold c.mu (pmu is taken after it).
func (c *conn) queueControl(f []byte) error {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if len(c.pending)+len(f) > maxPending {
		return connError{code: http2.ErrCodeEnhanceYourCalm, msg: "the client does not read what it asks for"}
	}
	c.pending = append(c.pending, f...)
	c.hasPending.Store(true)
	return nil
}

// flushSoon writes queued control frames unless a writer is active;
// that writer sends them when it is done.
func (c *conn) flushSoon() {
	for c.hasPending.Load() && c.wmu.TryLock() {
		err := c.writeLocked(nil)
		c.wmu.Unlock()
		if err != nil {
			return
		}
	}
}

// unlockWriter releases the writer, sending what was queued meanwhile.
func (c *conn) unlockWriter() {
	c.wmu.Unlock()
	c.flushSoon()
}

// takePending appends the queued control frames to buf.
func (c *conn) takePending(buf []byte) []byte {
	if !c.hasPending.Load() {
		return buf
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	buf = append(buf, c.pending...)
	c.pending = nil
	c.hasPending.Store(false)
	return buf
}

// writeLocked writes the queued control frames, then frames. Callers
// hold wmu. A failed write ends the connection.
func (c *conn) writeLocked(frames []byte) error {
	return c.writeWith(func(buf []byte) []byte { return append(buf, frames...) })
}

// writeWith writes the queued control frames and what add appends to
// them, from a pooled buffer. Callers hold wmu.
func (c *conn) writeWith(add func([]byte) []byte) error {
	bp := writePool.Get().(*[]byte)
	defer writePool.Put(bp)
	buf := add(c.takePending((*bp)[:0]))
	*bp = buf[:0]
	if len(buf) == 0 {
		return nil
	}
	if _, err := c.nc.Write(buf); err != nil {
		go c.close(err)
		return status.Errorf(codes.Unavailable, "connection to the client failed: %v", err)
	}
	return nil
}

// writeControl writes a connection frame now.
func (c *conn) writeControl(f []byte) error {
	c.wmu.Lock()
	defer c.unlockWriter()
	return c.writeLocked(f)
}

// writeHeaders sends a call's headers, or its trailers (end), unless the
// call can no longer be answered.
func (c *conn) writeHeaders(st *stream, fields []hpack.HeaderField, end bool) error {
	c.wmu.Lock()
	defer c.unlockWriter()
	maxFrame, clientDone, err := c.stillOpen(st)
	if err != nil {
		return err
	}
	c.encBuf.Reset()
	for _, f := range fields {
		if err := c.enc.WriteField(f); err != nil {
			return status.Errorf(codes.Internal, "encoding header %q: %v", f.Name, err)
		}
	}
	frames := appendHeaderBlock(nil, st.id, c.encBuf.Bytes(), end, maxFrame)
	if end && !clientDone {
		// The response is complete: the client need not send more.
		frames = appendRSTStream(frames, st.id, http2.ErrCodeNo)
	}
	if c.encBuf.Cap() > 4<<10 {
		c.encBuf = bytes.Buffer{}
	}
	c.dataSent.Store(true) // before the peer can see it and ping
	return c.writeLocked(frames)
}

// stillOpen says whether st can be answered, the peer's frame size, and
// whether the client has sent all it will (END_STREAM).
func (c *conn) stillOpen(st *stream) (maxFrame int, clientDone bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return 0, false, status.Error(codes.Unavailable, "connection to the client closed")
	case st.done:
		return 0, false, st.doneError()
	}
	return c.peerFrame, st.halfClosed, nil
}

// sendData sends one length-prefixed message as DATA frames, within the
// peer's connection and stream windows.
func (c *conn) sendData(st *stream, data mem.BufferSlice) error {
	var prefix [5]byte
	binary.BigEndian.PutUint32(prefix[1:], uint32(data.Len()))
	src := chunks{parts: append([][]byte{prefix[:]}, dataParts(data)...)}
	for left := 5 + data.Len(); left > 0; {
		n, maxFrame, err := c.reserve(st, min(left, writeChunk))
		if err != nil {
			return err
		}
		if err := c.writeData(st, &src, n, maxFrame); err != nil {
			return err
		}
		left -= n
	}
	return nil
}

func dataParts(data mem.BufferSlice) [][]byte {
	out := make([][]byte, 0, len(data))
	for _, b := range data {
		out = append(out, b.ReadOnlyData())
	}
	return out
}

// reserve waits for window and takes up to want bytes of it.
func (c *conn) reserve(st *stream, want int) (n, maxFrame int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch {
		case c.closed:
			return 0, 0, status.Error(codes.Unavailable, "connection to the client closed")
		case st.done:
			return 0, 0, st.doneError()
		case st.ctx.Err() != nil:
			return 0, 0, status.FromContextError(st.ctx.Err()).Err()
		}
		if w := min(c.sendWindow, st.sendWindow); w > 0 {
			n := int(min(w, int64(want)))
			c.sendWindow -= int64(n)
			st.sendWindow -= int64(n)
			return n, c.peerFrame, nil
		}
		c.cond.Wait()
	}
}

func (c *conn) writeData(st *stream, src *chunks, n, maxFrame int) error {
	c.wmu.Lock()
	defer c.unlockWriter()
	c.dataSent.Store(true) // before the peer can see it and ping
	return c.writeWith(func(buf []byte) []byte {
		for n > 0 {
			k := min(n, maxFrame)
			buf = appendFrameHeader(buf, http2.FrameData, 0, st.id, k)
			buf = src.appendN(buf, k)
			n -= k
		}
		return buf
	})
}

// chunks reads a message's parts in order.
type chunks struct{ parts [][]byte }

func (s *chunks) appendN(dst []byte, n int) []byte {
	for n > 0 && len(s.parts) > 0 {
		k := min(n, len(s.parts[0]))
		dst = append(dst, s.parts[0][:k]...)
		s.parts[0] = s.parts[0][k:]
		if len(s.parts[0]) == 0 {
			s.parts = s.parts[1:]
		}
		n -= k
	}
	return dst
}

// writeGoAway tells the peer why the connection ends, if the writer is
// free; a peer that stopped reading is not waited for.
func (c *conn) writeGoAway(code http2.ErrCode, msg string) {
	if !c.wmu.TryLock() {
		return
	}
	defer c.wmu.Unlock()
	c.mu.Lock()
	last := c.lastStream
	c.mu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.nc.Write(appendGoAway(nil, last, code, msg))
}

// goAway is the graceful GOAWAY of a stopping server.
func (c *conn) goAway() { c.writeGoAway(http2.ErrCodeNo, "server stopping") }

// endCall forgets a call whose handler returned.
func (c *conn) endCall(st *stream) {
	c.mu.Lock()
	c.calls--
	if c.streams[st.id] == st {
		delete(c.streams, st.id)
	}
	st.done = true
	c.mu.Unlock()
	st.cancel()
}
