package leangrpc

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/net/http2"
)

const (
	frameHeaderLen = 9
	// maxReadFrame is the largest frame a peer may send: the HTTP/2
	// default, which weft never raises.
	maxReadFrame = 16 << 10
	// initialWindow is HTTP/2's default window, for both directions.
	initialWindow = 65535
	maxWindow     = 1<<31 - 1
	clientPreface = http2.ClientPreface
)

type frameHeader struct {
	length uint32
	typ    http2.FrameType
	flags  http2.Flags
	stream uint32
}

func parseFrameHeader(b []byte) frameHeader {
	return frameHeader{
		length: uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		typ:    http2.FrameType(b[3]),
		flags:  http2.Flags(b[4]),
		stream: binary.BigEndian.Uint32(b[5:9]) & (1<<31 - 1),
	}
}

func appendFrameHeader(dst []byte, typ http2.FrameType, flags http2.Flags, stream uint32, length int) []byte {
	return append(dst, byte(length>>16), byte(length>>8), byte(length), byte(typ), byte(flags),
		byte(stream>>24), byte(stream>>16), byte(stream>>8), byte(stream))
}

func appendWindowUpdate(dst []byte, stream uint32, incr uint32) []byte {
	dst = appendFrameHeader(dst, http2.FrameWindowUpdate, 0, stream, 4)
	return binary.BigEndian.AppendUint32(dst, incr)
}

func appendRSTStream(dst []byte, stream uint32, code http2.ErrCode) []byte {
	dst = appendFrameHeader(dst, http2.FrameRSTStream, 0, stream, 4)
	return binary.BigEndian.AppendUint32(dst, uint32(code))
}

func appendPing(dst []byte, ack bool, data [8]byte) []byte {
	var flags http2.Flags
	if ack {
		flags = http2.FlagPingAck
	}
	dst = appendFrameHeader(dst, http2.FramePing, flags, 0, 8)
	return append(dst, data[:]...)
}

func appendGoAway(dst []byte, lastStream uint32, code http2.ErrCode, debug string) []byte {
	if len(debug) > 256 {
		debug = debug[:256]
	}
	dst = appendFrameHeader(dst, http2.FrameGoAway, 0, 0, 8+len(debug))
	dst = binary.BigEndian.AppendUint32(dst, lastStream)
	dst = binary.BigEndian.AppendUint32(dst, uint32(code))
	return append(dst, debug...)
}

func appendSettings(dst []byte, settings ...http2.Setting) []byte {
	dst = appendFrameHeader(dst, http2.FrameSettings, 0, 0, 6*len(settings))
	for _, s := range settings {
		dst = binary.BigEndian.AppendUint16(dst, uint16(s.ID))
		dst = binary.BigEndian.AppendUint32(dst, s.Val)
	}
	return dst
}

func appendSettingsAck(dst []byte) []byte {
	return appendFrameHeader(dst, http2.FrameSettings, http2.FlagSettingsAck, 0, 0)
}

// appendHeaderBlock frames an encoded header block as HEADERS and, past
// the peer's frame size, CONTINUATION frames.
func appendHeaderBlock(dst []byte, stream uint32, block []byte, endStream bool, maxFrame int) []byte {
	flags := http2.Flags(0)
	if endStream {
		flags |= http2.FlagHeadersEndStream
	}
	typ := http2.FrameHeaders
	for first := true; first || len(block) > 0; first = false {
		n := min(len(block), maxFrame)
		f := flags
		if n == len(block) {
			f |= http2.FlagHeadersEndHeaders
		}
		dst = appendFrameHeader(dst, typ, f, stream, n)
		dst = append(dst, block[:n]...)
		block = block[n:]
		typ, flags = http2.FrameContinuation, 0
	}
	return dst
}

// connError ends the connection with GOAWAY carrying code.
type connError struct {
	code http2.ErrCode
	msg  string
}

func (e connError) Error() string { return fmt.Sprintf("http2 %v: %s", e.code, e.msg) }

func protocolError(format string, args ...any) error {
	return connError{code: http2.ErrCodeProtocol, msg: fmt.Sprintf(format, args...)}
}

// unpad strips a PADDED frame's padding (RFC 9113 §6.1).
func unpad(fh frameHeader, p []byte) ([]byte, error) {
	if fh.flags&0x8 == 0 {
		return p, nil
	}
	if len(p) == 0 || int(p[0]) >= len(p) {
		return nil, protocolError("padding longer than the %v frame", fh.typ)
	}
	return p[1 : len(p)-int(p[0])], nil
}
