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
	contentLength                       int64 // -1 when not given
	md                                  metadata.MD
	bad                                 string // gRPC headers that make no sense: an error status
	malformed                           string // HTTP/2 says the request is malformed: PROTOCOL_ERROR
}

func parseRequest(fields []hpack.HeaderField) request {
	r := request{md: metadata.MD{}, contentLength: -1, malformed: malformedFields(fields)}
	for _, f := range fields {
		switch f.Name {
		case ":method":
			r.method = f.Value
		case ":path":
			r.path = f.Value
		case ":authority": // in metadata, as gRPC-Go's server has it
			r.md[":authority"] = []string{f.Value}
		case ":scheme", "te", "grpc-accept-encoding":
		case "content-type":
			r.contentType = f.Value
		case "content-length":
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil || n < 0 {
				r.malformed = "content-length " + f.Value
			}
			r.contentLength = n
		case "grpc-encoding":
			r.encoding = f.Value
		case "grpc-timeout":
			d, err := parseTimeout(f.Value)
			if err != nil {
				r.bad = err.Error()
			}
			r.timeout = d
		default:
			r.addMetadata(f)
		}
	}
	return r
}

// malformedFields says what makes a request's header list malformed in
// HTTP/2's terms (RFC 9113 §8.2, §8.3), "" if nothing.
func malformedFields(fields []hpack.HeaderField) string {
	seen := map[string]bool{}
	regular := false
	for _, f := range fields {
		switch {
		case strings.ToLower(f.Name) != f.Name:
			return fmt.Sprintf("header %q is not lowercase", f.Name)
		case strings.HasPrefix(f.Name, ":") && regular:
			return fmt.Sprintf("pseudo-header %q after a regular header", f.Name)
		case strings.HasPrefix(f.Name, ":") && seen[f.Name]:
			return fmt.Sprintf("pseudo-header %q repeated", f.Name)
		case strings.HasPrefix(f.Name, ":") && !requestPseudo[f.Name]:
			return fmt.Sprintf("pseudo-header %q is not a request's", f.Name)
		case f.Name == ":path" && f.Value == "":
			return "empty :path"
		case connectionSpecific[f.Name], f.Name == "te" && f.Value != "trailers":
			return fmt.Sprintf("connection-specific header %q", f.Name)
		case !strings.HasPrefix(f.Name, ":"):
			regular = true
		}
		seen[f.Name] = true
	}
	if !seen[":method"] || !seen[":scheme"] || !seen[":path"] {
		return "missing :method, :scheme or :path"
	}
	return ""
}

var (
	requestPseudo      = map[string]bool{":method": true, ":scheme": true, ":path": true, ":authority": true}
	connectionSpecific = map[string]bool{"connection": true, "keep-alive": true, "proxy-connection": true, "transfer-encoding": true, "upgrade": true}
)

func (r *request) addMetadata(f hpack.HeaderField) {
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
	if r.path == "" || m == nil {
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
