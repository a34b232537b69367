// Package istioca speaks Istio's IstioCertificateService wire protocol
// (package istio.v1.auth, the same field numbers as ca/pb/ca.proto) with
// dynamic messages. It stands in for the generated ca/pb stubs until they
// land; the descriptor is built locally and never registered globally, so it
// cannot clash with ca/pb's registration in the same binary.
package istioca

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	_ "google.golang.org/protobuf/types/known/structpb" // registers google/protobuf/struct.proto for the descriptor's import
)

const (
	// ServiceName and FullMethod are the gRPC names Istio's agents use.
	ServiceName = "istio.v1.auth.IstioCertificateService"
	FullMethod  = "/" + ServiceName + "/CreateCertificate"
)

var requestDesc, responseDesc = mustDescriptors()

func mustDescriptors() (protoreflect.MessageDescriptor, protoreflect.MessageDescriptor) {
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("weft/agent/internal/istioca/istioca.proto"),
		Package:    proto.String("istio.v1.auth"),
		Dependency: []string{"google/protobuf/struct.proto"},
		Syntax:     proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("IstioCertificateRequest"),
			Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("csr"), JsonName: proto.String("csr"), Number: proto.Int32(1), Label: opt, Type: str},
				{Name: proto.String("validity_duration"), JsonName: proto.String("validityDuration"), Number: proto.Int32(3), Label: opt, Type: descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum()},
				{Name: proto.String("metadata"), JsonName: proto.String("metadata"), Number: proto.Int32(4), Label: opt, Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".google.protobuf.Struct")},
			},
		}, {
			Name: proto.String("IstioCertificateResponse"),
			Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("cert_chain"), JsonName: proto.String("certChain"), Number: proto.Int32(1), Label: rep, Type: str},
			},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		panic(fmt.Sprintf("istioca descriptor: %v", err))
	}
	return fd.Messages().ByName("IstioCertificateRequest"), fd.Messages().ByName("IstioCertificateResponse")
}

// Request is the decoded IstioCertificateRequest (metadata is ignored, as
// weft's CA does).
type Request struct {
	CSR      string
	Validity time.Duration // whole seconds on the wire
}

func newRequestMsg(r Request) *dynamicpb.Message {
	m := dynamicpb.NewMessage(requestDesc)
	m.Set(requestDesc.Fields().ByNumber(1), protoreflect.ValueOfString(r.CSR))
	m.Set(requestDesc.Fields().ByNumber(3), protoreflect.ValueOfInt64(int64(r.Validity/time.Second)))
	return m
}

func parseRequestMsg(m *dynamicpb.Message) Request {
	return Request{
		CSR:      m.Get(requestDesc.Fields().ByNumber(1)).String(),
		Validity: time.Duration(m.Get(requestDesc.Fields().ByNumber(3)).Int()) * time.Second,
	}
}

func newResponseMsg(chain []string) *dynamicpb.Message {
	m := dynamicpb.NewMessage(responseDesc)
	list := m.Mutable(responseDesc.Fields().ByNumber(1)).List()
	for _, c := range chain {
		list.Append(protoreflect.ValueOfString(c))
	}
	return m
}

func parseResponseMsg(m *dynamicpb.Message) []string {
	list := m.Get(responseDesc.Fields().ByNumber(1)).List()
	chain := make([]string, list.Len())
	for i := range chain {
		chain[i] = list.Get(i).String()
	}
	return chain
}

// CreateCertificate performs the unary call on conn.
func CreateCertificate(ctx context.Context, conn grpc.ClientConnInterface, r Request, opts ...grpc.CallOption) ([]string, error) {
	resp := dynamicpb.NewMessage(responseDesc)
	if err := conn.Invoke(ctx, FullMethod, newRequestMsg(r), resp, opts...); err != nil {
		return nil, err
	}
	return parseResponseMsg(resp), nil
}

// Handler serves one CreateCertificate call; the caller's credentials are in
// ctx's incoming metadata.
type Handler func(ctx context.Context, r Request) ([]string, error)

// Register adds the service to s, answering with h.
func Register(s grpc.ServiceRegistrar, h Handler) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: ServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "CreateCertificate",
			Handler:    unaryHandler,
		}},
		Metadata: "istioca.proto",
	}, h)
}

func unaryHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	h := srv.(Handler)
	req := dynamicpb.NewMessage(requestDesc)
	if err := dec(req); err != nil {
		return nil, err
	}
	call := func(ctx context.Context, req any) (any, error) {
		chain, err := h(ctx, parseRequestMsg(req.(*dynamicpb.Message)))
		if err != nil {
			return nil, err
		}
		return newResponseMsg(chain), nil
	}
	if interceptor == nil {
		return call(ctx, req)
	}
	return interceptor(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: FullMethod}, call)
}
