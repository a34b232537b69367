package ca

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/weftmesh/weft/ca/pb"
)

// TestWireCompatibleWithIstio pins what istio-agent puts on the wire: the
// gRPC method path and the field numbers and types of Istio's istioca.proto.
// Editing ca.proto in a way that breaks existing agents fails here.
func TestWireCompatibleWithIstio(t *testing.T) {
	if got := pb.IstioCertificateService_CreateCertificate_FullMethodName; got != "/istio.v1.auth.IstioCertificateService/CreateCertificate" {
		t.Fatalf("method path %q", got)
	}
	req := (&pb.IstioCertificateRequest{}).ProtoReflect().Descriptor()
	resp := (&pb.IstioCertificateResponse{}).ProtoReflect().Descriptor()
	for _, c := range []struct {
		msg   protoreflect.MessageDescriptor
		field protoreflect.Name
		num   protoreflect.FieldNumber
		kind  protoreflect.Kind
		list  bool
	}{
		{req, "csr", 1, protoreflect.StringKind, false},
		{req, "validity_duration", 3, protoreflect.Int64Kind, false},
		{req, "metadata", 4, protoreflect.MessageKind, false},
		{resp, "cert_chain", 1, protoreflect.StringKind, true},
	} {
		f := c.msg.Fields().ByName(c.field)
		if f == nil || f.Number() != c.num || f.Kind() != c.kind || f.IsList() != c.list {
			t.Errorf("%s.%s: want #%d %s (list %v), got %v", c.msg.FullName(), c.field, c.num, c.kind, c.list, f)
		}
	}
	if req.FullName() != "istio.v1.auth.IstioCertificateRequest" || resp.FullName() != "istio.v1.auth.IstioCertificateResponse" {
		t.Errorf("message names %s, %s", req.FullName(), resp.FullName())
	}
	if md := req.Fields().ByName("metadata").Message(); md == nil || md.FullName() != "google.protobuf.Struct" {
		t.Error("metadata must be google.protobuf.Struct")
	}
}
