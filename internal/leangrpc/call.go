package leangrpc

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// request is what a call's HEADERS said.
type request struct {
	method, path, contentType, encoding string
	timeout                             time.Duration
	md                                  metadata.MD
	bad                                 string // why the headers are malformed
}

func parseRequest(fields []hpack.HeaderField) request {
	r := request{md: metadata.MD{}}
	for _, f := range fields {
		switch f.Name {
		case ":method":
			r.method = f.Value
		case ":path":
			r.path = f.Value
		case ":authority": // in metadata, as gRPC-Go's server has it
			r.md[":authority"] = []string{f.Value}
		case ":scheme":
		case "content-type":
			r.contentType = f.Value
		case "grpc-encoding":
			r.encoding = f.Value
		case "grpc-timeout":
			d, err := parseTimeout(f.Value)
			if err != nil {
				r.bad = err.Error()
			}
			r.timeout = d
		case "te", "connection", "grpc-accept-encoding":
		default:
			r.addMetadata(f)
		}
	}
	return r
}

func (r *request) addMetadata(f hpack.HeaderField) {
	if strings.HasPrefix(f.Name, ":") {
		r.bad = fmt.Sprintf("unknown pseudo-header %q", f.Name)
		return
	}
	v := f.Value
	if strings.HasSuffix(f.Name, "-bin") {
		b, err := decodeBinHeader(v)
		if err != nil {
			r.bad = fmt.Sprintf("header %q: %v", f.Name, err)
			return
		}
		v = string(b)
	}
	r.md[f.Name] = append(r.md[f.Name], v)
}

func decodeBinHeader(v string) ([]byte, error) {
	if len(v)%4 == 0 {
		return base64.StdEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}

// parseTimeout reads grpc-timeout: up to 8 digits and a unit.
func parseTimeout(v string) (time.Duration, error) {
	if len(v) < 2 || len(v) > 9 {
		return 0, fmt.Errorf("grpc-timeout %q", v)
	}
	units := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second,
		'm': time.Millisecond, 'u': time.Microsecond, 'n': time.Nanosecond}
	unit, ok := units[v[len(v)-1]]
	n, err := strconv.ParseUint(v[:len(v)-1], 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("grpc-timeout %q", v)
	}
	if d := time.Duration(n); d > (1<<63-1)/unit {
		return 1<<63 - 1, nil
	}
	return time.Duration(n) * unit, nil
}

// refusal is a response that ends a call before any handler runs.
type refusal struct {
	httpStatus int // not 200: the request is not gRPC
	st         *status.Status
}

// route finds the request's method, or how to refuse it.
func (s *Server) route(r request) (*method, *refusal) {
	switch {
	case r.method != "POST":
		return nil, &refusal{httpStatus: 405}
	case !strings.HasPrefix(r.contentType, "application/grpc"):
		return nil, &refusal{httpStatus: 415}
	case r.bad != "":
		return nil, &refusal{st: status.New(codes.Internal, "malformed request headers: "+r.bad)}
	case r.encoding != "" && r.encoding != "identity":
		return nil, &refusal{st: status.Newf(codes.Unimplemented, "grpc: compression %q is not supported", r.encoding)}
	}
	m := s.methods[r.path]
	if m == nil {
		return nil, &refusal{st: status.Newf(codes.Unimplemented, "unknown method %s", r.path)}
	}
	return m, nil
}

// refuse answers a call that runs no handler.
func (st *stream) refuse(r *refusal) {
	defer st.c.endCall(st)
	if r.httpStatus != 0 {
		st.c.writeHeaders(st, []hpack.HeaderField{{Name: ":status", Value: strconv.Itoa(r.httpStatus)}}, true)
		return
	}
	st.finish(r.st)
}

// runCall runs a method's handler and ends the call with its status.
func (s *Server) runCall(st *stream, m *method) {
	defer st.c.endCall(st)
	var err error
	if m.stream != nil {
		err = m.stream.Handler(m.impl, st)
	} else {
		err = st.unary(m)
	}
	st.finish(status.Convert(err))
}

func (st *stream) unary(m *method) error {
	recvd := false
	dec := func(v any) error {
		if recvd {
			return status.Error(codes.Internal, "grpc: the request was already decoded")
		}
		recvd = true
		err := st.RecvMsg(v)
		if err == io.EOF {
			return status.Error(codes.Internal, "grpc: the client sent no request message")
		}
		return err
	}
	resp, err := m.unary.Handler(m.impl, st.ctx, dec, nil)
	if err != nil {
		return err
	}
	return st.SendMsg(resp)
}

// finish sends the call's status as trailers, with its headers when none
// were sent (trailers-only), unless the stream was reset or its
// connection closed.
func (st *stream) finish(s *status.Status) {
	st.sendMu.Lock()
	defer st.sendMu.Unlock()
	st.finished = true
	fields := []hpack.HeaderField{}
	if !st.headerSent {
		st.headerSent = true
		fields = responseHeaders(st.header)
	}
	fields = append(fields, hpack.HeaderField{Name: "grpc-status", Value: strconv.Itoa(int(s.Code()))})
	if msg := s.Message(); msg != "" {
		fields = append(fields, hpack.HeaderField{Name: "grpc-message", Value: encodeGrpcMessage(msg)})
	}
	if p := s.Proto(); len(p.GetDetails()) > 0 {
		if b, err := proto.Marshal(p); err == nil {
			fields = append(fields, hpack.HeaderField{Name: "grpc-status-details-bin", Value: base64.RawStdEncoding.EncodeToString(b)})
		}
	}
	fields = appendMetadata(fields, st.trailer)
	st.c.writeHeaders(st, fields, true)
}

func responseHeaders(md metadata.MD) []hpack.HeaderField {
	return appendMetadata([]hpack.HeaderField{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "application/grpc"}}, md)
}

func appendMetadata(fields []hpack.HeaderField, md metadata.MD) []hpack.HeaderField {
	for k, vs := range md {
		if strings.HasPrefix(k, ":") || k == "content-type" || strings.HasPrefix(k, "grpc-") {
			continue
		}
		for _, v := range vs {
			if strings.HasSuffix(k, "-bin") {
				v = base64.RawStdEncoding.EncodeToString([]byte(v))
			}
			fields = append(fields, hpack.HeaderField{Name: k, Value: v})
		}
	}
	return fields
}

// encodeGrpcMessage percent-encodes what gRPC's spec says grpc-message
// may not carry as is: bytes outside printable ASCII, and '%'.
func encodeGrpcMessage(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c >= 0x20 && c <= 0x7e && c != '%' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
