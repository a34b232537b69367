package leangrpc

import (
	"errors"
	"time"

	"golang.org/x/net/http2"
)

var errKeepalive = errors.New("keepalive ping not answered")

// startKeepalive arms the connection's one timer; it checks for silence
// instead of being reset by every frame.
func (c *conn) startKeepalive() {
	c.keepalive = time.AfterFunc(time.Duration(1<<62), c.keepaliveTick)
	c.keepalive.Reset(c.srv.opts.KeepaliveTime)
}

func (c *conn) stopKeepalive() {
	if c.keepalive != nil {
		c.keepalive.Stop()
	}
}

func (c *conn) keepaliveTick() {
	o := c.srv.opts
	now := time.Now().UnixNano()
	last := c.lastRead.Load()
	if sent := c.pingSent.Load(); sent != 0 {
		switch {
		case last > sent: // anything read answers the ping
			c.pingSent.Store(0)
		case time.Duration(now-sent) >= o.KeepaliveTimeout:
			c.close(errKeepalive)
			return
		default:
			c.keepalive.Reset(o.KeepaliveTimeout - time.Duration(now-sent))
			return
		}
	}
	if idle := time.Duration(now - last); idle < o.KeepaliveTime {
		c.keepalive.Reset(o.KeepaliveTime - idle)
		return
	}
	c.pingSent.Store(now)
	if err := c.queueControl(appendPing(nil, false, [8]byte{'w', 'e', 'f', 't'})); err != nil {
		c.close(err)
		return
	}
	c.flushSoon()
	c.keepalive.Reset(o.KeepaliveTimeout)
}

// onPing answers a client's ping. Pings more often than MinPingInterval
// with no response data in between count as strikes; the third ends the
// connection with "too_many_pings", as gRPC's servers do.
func (c *conn) onPing(fh frameHeader, p []byte) error {
	if fh.stream != 0 {
		return protocolError("PING on stream %d", fh.stream)
	}
	if len(p) != 8 {
		return connError{code: http2.ErrCodeFrameSize, msg: "PING not 8 bytes"}
	}
	if fh.flags.Has(http2.FlagPingAck) {
		return nil
	}
	now := time.Now()
	if c.dataSent.Swap(false) {
		c.pings.strikes = 0
	} else if !c.pings.last.IsZero() && now.Sub(c.pings.last) < c.srv.opts.MinPingInterval {
		if c.pings.strikes++; c.pings.strikes > 2 {
			return connError{code: http2.ErrCodeEnhanceYourCalm, msg: "too_many_pings"}
		}
	}
	c.pings.last = now
	return c.queueControl(appendPing(nil, true, [8]byte(p)))
}
