package analysis

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/config/kube"
)

// ClusterOptions say what LoadCluster reads.
type ClusterOptions struct {
	Config *rest.Config
	// Files are analyzed together with the cluster, overriding the
	// cluster's copy of the same resource ("what if I applied these?").
	Files []Input
}

// listPageSize and maxListPages bound one kind's listing (50k objects).
const (
	listPageSize = 500
	maxListPages = 100
)

// LoadCluster builds a snapshot from every kind weft reads, listed from the
// API server in all namespaces (analyzers need other namespaces' context,
// e.g. mesh-wide PeerAuthentication; callers filter messages), with the
// same typed conversion weftd's Kubernetes source uses.
func LoadCluster(ctx context.Context, o ClusterOptions) (*config.Snapshot, []Message, error) {
	dyn, err := dynamic.NewForConfig(o.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("dynamic client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(o.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("discovery client: %w", err)
	}
	b := config.NewBuilder()
	msgs := addFiles(b, o.Files)
	for _, k := range config.KindInfos() {
		if err := addKind(ctx, b, dyn, disc, k); err != nil {
			return nil, nil, err
		}
	}
	return b.Finish(), msgs, nil
}

func addFiles(b *config.Builder, files []Input) []Message {
	var msgs []Message
	for _, in := range files {
		objs, errs := config.Decode(in.Name, in.Data)
		for _, e := range errs {
			msgs = append(msgs, decodeMessage(e))
		}
		for _, obj := range objs {
			if e := b.Add(obj); e != nil {
				msgs = append(msgs, Message{Code: CodeDuplicate, Severity: Error, Err: e})
			}
		}
	}
	return msgs
}

// addKind lists one kind; a kind the server does not serve (CRDs not
// installed) is skipped. Objects already added from files win.
func addKind(ctx context.Context, b *config.Builder, dyn dynamic.Interface, disc discovery.DiscoveryInterface, k config.KindInfo) error {
	resource, err := kube.ServedResource(disc, k)
	if err != nil || resource == "" {
		return err
	}
	gvr := k.GVK.GroupVersion().WithResource(resource)
	cont := ""
	for range maxListPages {
		list, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: listPageSize, Continue: cont})
		if err != nil {
			return fmt.Errorf("listing %s: %w", gvr.GroupResource(), err)
		}
		for i := range list.Items {
			obj, err := kube.Typed(k, &list.Items[i])
			if err != nil {
				return err
			}
			_ = b.Add(config.Object{Key: config.KeyOf(obj), Resource: obj}) // a duplicate is a file's override
		}
		if cont = list.GetContinue(); cont == "" {
			return nil
		}
	}
	return fmt.Errorf("listing %s: more than %d objects", gvr.GroupResource(), listPageSize*maxListPages)
}

// InNamespace keeps the messages about resources of namespace ns (and the
// Namespace object itself), as -n does.
func InNamespace(msgs []Message, ns string) []Message {
	out := msgs[:0:0]
	for _, m := range msgs {
		if m.Err.Namespace == ns || (m.Err.Kind == "Namespace" && m.Err.Name == ns) || m.Err.File != "" {
			out = append(out, m)
		}
	}
	return out
}
