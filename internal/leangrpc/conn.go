package leangrpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/peer"
)

// conn is one client connection. Its goroutine reads frames; calls run on
// goroutines of their own and write under wmu.
type conn struct {
	srv    *Server
	nc     net.Conn
	ctx    context.Context // the peer's; canceled when the connection ends
	cancel context.CancelFunc

	// Read side, owned by the connection's goroutine.
	hdr           [frameHeaderLen]byte
	dec           *hpack.Decoder
	fields        []hpack.HeaderField
	fieldBytes    int
	block         []byte // header block being assembled
	blockOf       uint32 // its stream; 0 when none
	blockEnds     bool   // its HEADERS ended the stream
	selfDependent bool   // its HEADERS made the stream depend on itself
	recvWindow    int32  // connection window left to the peer
	recvUnsent    uint32 // connection window to give back
	pings         pingState

	mu         sync.Mutex // guards what follows and the streams' shared state
	cond       *sync.Cond // window or state changes, for senders
	streams    map[uint32]*stream
	calls      uint32 // running handlers: bounded by MaxConcurrentStreams
	lastStream uint32
	sendWindow int64 // connection send window
	peerWindow int64 // the peer's initial stream window
	peerFrame  int   // the peer's largest frame
	closed     bool
	closeErr   error

	// Write side.
	wmu        sync.Mutex // held while writing to nc
	enc        *hpack.Encoder
	encBuf     bytes.Buffer
	pmu        sync.Mutex
	pending    []byte // control frames for the next writer
	hasPending atomic.Bool

	lastRead  atomic.Int64 // unix nanos of the last frame read
	keepalive *time.Timer
	pingSent  atomic.Int64 // unix nanos of our unanswered ping; 0 when none
	dataSent  atomic.Bool  // response data since the client's last ping
}

type pingState struct {
	last    time.Time
	strikes int
}

// maxPending bounds control frames queued behind a stalled writer; a
// client that provokes more (pings, settings) is cut off.
const maxPending = 16 << 10

// maxHeaderList bounds a request's decoded headers.
const maxHeaderList = 64 << 10

func newConn(s *Server, nc net.Conn, p *peer.Peer) *conn {
	c := &conn{srv: s, nc: nc, streams: map[uint32]*stream{}, recvWindow: initialWindow,
		sendWindow: initialWindow, peerWindow: initialWindow, peerFrame: maxReadFrame}
	c.ctx, c.cancel = connContext(p)
	c.cond = sync.NewCond(&c.mu)
	c.dec = hpack.NewDecoder(4096, c.onField)
	c.dec.SetMaxStringLength(maxHeaderList)
	c.enc = hpack.NewEncoder(&c.encBuf)
	// Responses are a few short headers: an empty dynamic table keeps
	// nothing per connection.
	c.enc.SetMaxDynamicTableSizeLimit(0)
	return c
}

// serve runs the connection until it fails or the peer leaves.
func (c *conn) serve() {
	err := c.start()
	if err == nil {
		err = c.readLoop()
	}
	c.end(err)
}

//go:noinline
func (c *conn) start() error {
	c.lastRead.Store(time.Now().UnixNano())
	c.startKeepalive()
	return c.writeControl(appendSettings(nil,
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: c.srv.opts.MaxConcurrentStreams},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: maxHeaderList}))
}

//go:noinline
func (c *conn) end(err error) {
	var ce connError
	if errors.As(err, &ce) {
		c.srv.opts.Logger.Debug("gRPC connection error", "peer", c.nc.RemoteAddr().String(), "err", err)
		c.writeGoAway(ce.code, ce.msg)
		_ = c.nc.SetReadDeadline(time.Now().Add(time.Second))
		lingerClose(c.nc)
	}
	c.close(err)
}

func (c *conn) readLoop() error {
	first := true
	for {
		fh, err := c.readHeader()
		if err != nil {
			return err
		}
		if first && fh.typ != http2.FrameSettings {
			return protocolError("first frame is %v, not SETTINGS", fh.typ)
		}
		first = false
		if err := c.readFrame(fh); err != nil {
			return err
		}
		c.flushSoon()
	}
}

func (c *conn) readHeader() (frameHeader, error) {
	if _, err := io.ReadFull(c.nc, c.hdr[:]); err != nil {
		return frameHeader{}, err
	}
	c.lastRead.Store(time.Now().UnixNano())
	fh := parseFrameHeader(c.hdr[:])
	if fh.length > maxReadFrame {
		return fh, connError{code: http2.ErrCodeFrameSize, msg: "frame larger than SETTINGS_MAX_FRAME_SIZE"}
	}
	if c.blockOf != 0 && (fh.typ != http2.FrameContinuation || fh.stream != c.blockOf) {
		return fh, protocolError("%v frame inside a header block", fh.typ)
	}
	return fh, nil
}

var payloadPool = sync.Pool{New: func() any { b := make([]byte, maxReadFrame); return &b }}

// readFrame reads fh's payload into a pooled buffer and handles it.
func (c *conn) readFrame(fh frameHeader) error {
	bp := payloadPool.Get().(*[]byte)
	defer payloadPool.Put(bp)
	p := (*bp)[:fh.length]
	if _, err := io.ReadFull(c.nc, p); err != nil {
		return err
	}
	return c.handleFrame(fh, p)
}

func (c *conn) handleFrame(fh frameHeader, p []byte) error {
	switch fh.typ {
	case http2.FrameData:
		return c.onData(fh, p)
	case http2.FrameHeaders:
		return c.onHeaders(fh, p)
	case http2.FrameContinuation:
		return c.onContinuation(fh, p)
	case http2.FrameRSTStream:
		return c.onReset(fh, p)
	case http2.FrameSettings:
		return c.onSettings(fh, p)
	case http2.FramePing:
		return c.onPing(fh, p)
	case http2.FrameWindowUpdate:
		return c.onWindowUpdate(fh, p)
	case http2.FrameGoAway:
		return c.onGoAway(fh, p)
	case http2.FramePushPromise:
		return protocolError("PUSH_PROMISE from a client")
	case http2.FramePriority:
		return c.onPriority(fh, p)
	}
	return nil // other types are ignored (RFC 9113 §4.1)
}

// onPriority checks a PRIORITY frame; weft does not prioritise.
func (c *conn) onPriority(fh frameHeader, p []byte) error {
	switch {
	case fh.stream == 0:
		return protocolError("PRIORITY on stream 0")
	case len(p) != 5:
		return c.queueControl(appendRSTStream(nil, fh.stream, http2.ErrCodeFrameSize))
	case dependsOnItself(fh.stream, p):
		c.mu.Lock()
		defer c.mu.Unlock()
		if st := c.streams[fh.stream]; st != nil {
			st.cancelLocked(errStreamReset)
		}
		return c.queueControl(appendRSTStream(nil, fh.stream, http2.ErrCodeProtocol))
	}
	return nil
}

func (c *conn) onSettings(fh frameHeader, p []byte) error {
	if fh.stream != 0 {
		return protocolError("SETTINGS on stream %d", fh.stream)
	}
	if fh.flags.Has(http2.FlagSettingsAck) {
		if len(p) != 0 {
			return connError{code: http2.ErrCodeFrameSize, msg: "SETTINGS ack with a payload"}
		}
		return nil
	}
	if len(p)%6 != 0 {
		return connError{code: http2.ErrCodeFrameSize, msg: "SETTINGS payload not a multiple of 6"}
	}
	for ; len(p) > 0; p = p[6:] {
		if err := c.applySetting(http2.SettingID(binary.BigEndian.Uint16(p)), binary.BigEndian.Uint32(p[2:])); err != nil {
			return err
		}
	}
	return c.queueControl(appendSettingsAck(nil))
}

func (c *conn) applySetting(id http2.SettingID, v uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch id {
	case http2.SettingInitialWindowSize:
		if v > maxWindow {
			return connError{code: http2.ErrCodeFlowControl, msg: "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1"}
		}
		delta := int64(v) - c.peerWindow
		c.peerWindow = int64(v)
		for _, st := range c.streams {
			st.sendWindow += delta
		}
		c.cond.Broadcast()
	case http2.SettingMaxFrameSize:
		if v < 16384 || v > 1<<24-1 {
			return protocolError("SETTINGS_MAX_FRAME_SIZE %d out of range", v)
		}
		c.peerFrame = int(v)
	case http2.SettingEnablePush:
		if v > 1 {
			return protocolError("SETTINGS_ENABLE_PUSH %d", v)
		}
	}
	return nil
}

func (c *conn) onWindowUpdate(fh frameHeader, p []byte) error {
	if len(p) != 4 {
		return connError{code: http2.ErrCodeFrameSize, msg: "WINDOW_UPDATE not 4 bytes"}
	}
	incr := int64(binary.BigEndian.Uint32(p) & maxWindow)
	c.mu.Lock()
	defer c.mu.Unlock()
	w := &c.sendWindow
	if fh.stream != 0 {
		st := c.streams[fh.stream]
		switch {
		case st == nil && fh.stream > c.lastStream:
			return protocolError("WINDOW_UPDATE on idle stream %d", fh.stream)
		case st == nil:
			return nil // a stream that ended
		}
		w = &st.sendWindow
	}
	code := http2.ErrCodeFlowControl // the window would pass 2^31-1
	if incr == 0 {
		code = http2.ErrCodeProtocol
	}
	if incr == 0 || *w+incr > maxWindow {
		if fh.stream == 0 {
			return connError{code: code, msg: "bad connection WINDOW_UPDATE"}
		}
		c.resetLocked(c.streams[fh.stream], code)
		return nil
	}
	*w += incr
	c.cond.Broadcast()
	return nil
}

func (c *conn) onGoAway(fh frameHeader, p []byte) error {
	if fh.stream != 0 || len(p) < 8 {
		return protocolError("malformed GOAWAY")
	}
	// The client opens no more streams; the ones it has run to their end.
	return nil
}

func (c *conn) onReset(fh frameHeader, p []byte) error {
	if fh.stream == 0 || len(p) != 4 {
		return protocolError("malformed RST_STREAM")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.streams[fh.stream]; st != nil {
		st.cancelLocked(errStreamReset)
	} else if fh.stream > c.lastStream {
		return protocolError("RST_STREAM on idle stream %d", fh.stream)
	}
	return nil
}

// resetLocked ends st with RST_STREAM; its call sees its context canceled.
func (c *conn) resetLocked(st *stream, code http2.ErrCode) {
	if st == nil {
		return
	}
	st.cancelLocked(errStreamReset)
	c.queueControl(appendRSTStream(nil, st.id, code))
}

// close ends the connection and every call on it.
func (c *conn) close(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.closeErr = true, err
	for _, st := range c.streams {
		st.cancelLocked(errConnClosed)
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	c.stopKeepalive()
	c.nc.Close()
	c.cancel()
}

var (
	errStreamReset = errors.New("stream reset")
	errConnClosed  = errors.New("connection closed")
)
