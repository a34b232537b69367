package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// deltaState is what an incremental stream must remember that a SotW one
// gets resent: every resource it holds (to find dependencies) and the names
// it told the server it subscribes to.
type deltaState struct {
	stream    discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	resources map[string]map[string]*anypb.Any // type → name → resource
	told      map[string][]string              // type → names subscribed so far
	opened    map[string]bool                  // types with a request sent
}

func (p *proxy) deltaLoop(ctx context.Context, conn *grpc.ClientConn, opened func()) error {
	s, err := discovery.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx, p.callOptions()...)
	opened()
	if err != nil {
		return fmt.Errorf("%s: open delta ADS stream: %w", p.spec.NodeID(), err)
	}
	defer func() { _ = s.CloseSend() }()
	p.delta = &deltaState{stream: s, resources: map[string]map[string]*anypb.Any{},
		told: map[string][]string{}, opened: map[string]bool{}}
	for _, t := range p.initialTypes() {
		if err := p.deltaSubscribe(t); err != nil {
			return err
		}
	}
	for range maxResponses {
		r, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: delta recv: %w", p.spec.NodeID(), err)
		}
		if err := p.deltaHandle(r); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s: more than %d delta responses", p.spec.NodeID(), maxResponses)
}

// deltaSubscribe sends the change between the names already told to the
// server and p.names. A wildcard type (names nil) is opened with an empty
// first request; a named type is not opened until it has a name, because an
// empty first request would mean wildcard.
func (p *proxy) deltaSubscribe(typeURL string) error {
	d := p.delta
	want, wildcard := p.names[typeURL], p.names[typeURL] == nil && !d.opened[typeURL]
	sub, unsub := diff(d.told[typeURL], want)
	if !wildcard && len(sub) == 0 && len(unsub) == 0 {
		return nil
	}
	req := &discovery.DeltaDiscoveryRequest{TypeUrl: typeURL, ResourceNamesSubscribe: sub, ResourceNamesUnsubscribe: unsub}
	if !p.sentNode {
		n, err := p.spec.node()
		if err != nil {
			return err
		}
		req.Node, p.sentNode = n, true
	}
	if err := d.stream.Send(req); err != nil {
		return fmt.Errorf("%s: delta send %s: %w", p.spec.NodeID(), typeURL, err)
	}
	d.told[typeURL], d.opened[typeURL] = slices.Clone(want), true
	return nil
}

// deltaHandle applies, records and ACKs a response, then subscribes to what
// the type's full resource set references.
func (p *proxy) deltaHandle(r *discovery.DeltaDiscoveryResponse) error {
	now, d := time.Now(), p.delta
	held := d.resources[r.TypeUrl]
	if held == nil {
		held = map[string]*anypb.Any{}
		d.resources[r.TypeUrl] = held
	}
	for _, res := range r.Resources {
		held[res.Name] = res.Resource
	}
	for _, name := range r.RemovedResources {
		delete(held, name)
	}
	all := &discovery.DiscoveryResponse{TypeUrl: r.TypeUrl}
	for _, name := range slices.Sorted(maps.Keys(held)) {
		all.Resources = append(all.Resources, held[name])
	}
	deps, err := dependencies(all)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", p.spec.NodeID(), errTool, err)
	}
	ack := &discovery.DeltaDiscoveryRequest{TypeUrl: r.TypeUrl, ResponseNonce: r.Nonce}
	if err := d.stream.Send(ack); err != nil {
		return fmt.Errorf("%s: delta ACK %s: %w", p.spec.NodeID(), r.TypeUrl, err)
	}
	p.record(r.TypeUrl, r.SystemVersionInfo, proto.Size(r), now)
	return p.subscribe(deps, p.deltaSubscribe)
}

// diff returns the names in want but not in had, and in had but not in want.
func diff(had, want []string) (sub, unsub []string) {
	for _, n := range want {
		if !slices.Contains(had, n) {
			sub = append(sub, n)
		}
	}
	for _, n := range had {
		if !slices.Contains(want, n) {
			unsub = append(unsub, n)
		}
	}
	return sub, unsub
}
