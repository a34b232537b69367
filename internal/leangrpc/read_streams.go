package leangrpc

import (
	"encoding/binary"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// windowBatch is how much window is given back at once: a quarter of it.
const windowBatch = initialWindow / 4

func (c *conn) onData(fh frameHeader, p []byte) error {
	if fh.stream == 0 {
		return protocolError("DATA on stream 0")
	}
	n := int32(len(p))
	if c.recvWindow -= n; c.recvWindow < 0 {
		return connError{code: http2.ErrCodeFlowControl, msg: "DATA beyond the connection window"}
	}
	// The connection's window is given back at once: each stream's own
	// window bounds what it buffers.
	if c.recvUnsent += uint32(n); c.recvUnsent >= windowBatch {
		if err := c.queueControl(appendWindowUpdate(nil, 0, c.recvUnsent)); err != nil {
			return err
		}
		c.recvWindow += int32(c.recvUnsent)
		c.recvUnsent = 0
	}
	data, err := unpad(fh, p)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.streams[fh.stream]
	switch {
	case st == nil && fh.stream > c.lastStream:
		return protocolError("DATA on idle stream %d", fh.stream)
	case st == nil:
		return c.queueControl(appendRSTStream(nil, fh.stream, http2.ErrCodeStreamClosed))
	case st.halfClosed:
		c.resetLocked(st, http2.ErrCodeStreamClosed)
		return nil
	}
	if st.recvWindow -= n; st.recvWindow < 0 {
		c.resetLocked(st, http2.ErrCodeFlowControl)
		return nil
	}
	st.unsent += uint32(n)
	st.dataLen += int64(len(data))
	ends := fh.flags.Has(http2.FlagDataEndStream)
	if cl := st.req.contentLength; cl >= 0 && (st.dataLen > cl || ends && st.dataLen != cl) {
		c.resetLocked(st, http2.ErrCodeProtocol) // content-length does not match the data
		return nil
	}
	st.feed(data, c.srv.opts.MaxRecvMsgSize)
	st.halfClosed = ends
	st.notify()
	return c.giveWindowLocked(st)
}

// giveWindowLocked gives a stream's window back once a batch is due,
// unless what it holds and its call has not taken exceeds a message's
// limit; then it waits for the call (RecvMsg) to take some.
func (c *conn) giveWindowLocked(st *stream) error {
	if st.unsent < windowBatch || st.buffered > c.srv.opts.MaxRecvMsgSize || st.halfClosed {
		return nil
	}
	err := c.queueControl(appendWindowUpdate(nil, st.id, st.unsent))
	st.recvWindow += int32(st.unsent)
	st.unsent = 0
	return err
}

func (c *conn) onHeaders(fh frameHeader, p []byte) error {
	if fh.stream == 0 || fh.stream%2 == 0 {
		return protocolError("HEADERS on stream %d", fh.stream)
	}
	frag, err := unpad(fh, p)
	if err != nil {
		return err
	}
	if fh.flags.Has(http2.FlagHeadersPriority) {
		if len(frag) < 5 {
			return protocolError("HEADERS priority field truncated")
		}
		if dependsOnItself(fh.stream, frag) {
			// A stream error, but the header block must still be decoded:
			// it changes the connection's HPACK state.
			c.selfDependent = true
		}
		frag = frag[5:]
	}
	c.blockOf, c.blockEnds = fh.stream, fh.flags.Has(http2.FlagHeadersEndStream)
	c.block = append(c.block[:0], frag...)
	if fh.flags.Has(http2.FlagHeadersEndHeaders) {
		return c.endHeaders()
	}
	return nil
}

func (c *conn) onContinuation(fh frameHeader, p []byte) error {
	if c.blockOf == 0 {
		return protocolError("CONTINUATION without HEADERS")
	}
	if len(c.block)+len(p) > maxHeaderList {
		return connError{code: http2.ErrCodeEnhanceYourCalm, msg: "header block too large"}
	}
	c.block = append(c.block, p...)
	if fh.flags.Has(http2.FlagContinuationEndHeaders) {
		return c.endHeaders()
	}
	return nil
}

func (c *conn) onField(f hpack.HeaderField) {
	c.fieldBytes += int(f.Size())
	if c.fieldBytes <= maxHeaderList {
		c.fields = append(c.fields, f)
	}
}

// endHeaders decodes a complete header block: a new call, or a client's
// trailers ending its stream.
func (c *conn) endHeaders() error {
	id, ends := c.blockOf, c.blockEnds
	c.blockOf = 0
	c.fields, c.fieldBytes = c.fields[:0], 0
	_, err := c.dec.Write(c.block)
	if err == nil {
		err = c.dec.Close()
	}
	if cap(c.block) > 4<<10 {
		c.block = nil // a large block is not kept for the connection's life
	}
	if err != nil {
		return connError{code: http2.ErrCodeCompression, msg: err.Error()}
	}
	defer c.clearFields()
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.streams[id]; st != nil {
		switch {
		case st.halfClosed:
			c.resetLocked(st, http2.ErrCodeStreamClosed)
			return nil
		case !ends:
			c.resetLocked(st, http2.ErrCodeProtocol)
			return nil
		}
		st.halfClosed = true
		st.notify()
		return nil
	}
	if id <= c.lastStream {
		return connError{code: http2.ErrCodeStreamClosed, msg: "HEADERS on a closed stream"}
	}
	c.lastStream = id
	if c.selfDependent {
		c.selfDependent = false
		return c.queueControl(appendRSTStream(nil, id, http2.ErrCodeProtocol))
	}
	return c.openLocked(id, ends)
}

// clearFields drops the decoded headers: a connection opens few calls,
// and an idle one keeps nothing of them.
func (c *conn) clearFields() {
	c.fields = nil
}

// openLocked starts a call for a new stream, or refuses it.
func (c *conn) openLocked(id uint32, ends bool) error {
	if c.fieldBytes > maxHeaderList {
		return c.queueControl(appendRSTStream(nil, id, http2.ErrCodeEnhanceYourCalm))
	}
	if c.closed || c.calls >= c.srv.opts.MaxConcurrentStreams {
		return c.queueControl(appendRSTStream(nil, id, http2.ErrCodeRefusedStream))
	}
	req := parseRequest(c.fields)
	if req.malformed != "" {
		c.srv.opts.Logger.Debug("malformed gRPC request", "peer", c.nc.RemoteAddr().String(), "reason", req.malformed)
		return c.queueControl(appendRSTStream(nil, id, http2.ErrCodeProtocol))
	}
	st := newStream(c, id, req)
	st.halfClosed = ends
	c.calls++
	c.streams[id] = st
	st.running = true
	m, refusal := c.srv.route(req)
	es, evented := m.eventedImpl()
	switch {
	case refusal != nil:
		go st.refuse(refusal)
	case evented:
		go c.srv.runEvents(st, m, es)
	default:
		go c.srv.runCall(st, m)
	}
	return nil
}

// dependsOnItself reads a priority field (RFC 9113 §5.3.1: a stream
// cannot depend on itself).
func dependsOnItself(stream uint32, p []byte) bool {
	return binary.BigEndian.Uint32(p)&maxWindow == stream
}
