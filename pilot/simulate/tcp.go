package simulate

import (
	"fmt"
	"strings"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// tcpIdleTimeoutDefault is Envoy's idle_timeout when the field is unset.
const tcpIdleTimeoutDefault = time.Hour

// tcpProxy decodes the TCP proxy and records where it sends the
// connection: one cluster, or weighted clusters each taking its share.
func (c *Config) tcpProxy(f *listenerv3.Filter, req *Request, res *Result) error {
	tp := &tcpv3.TcpProxy{}
	if err := f.GetTypedConfig().UnmarshalTo(tp); err != nil {
		return cannot("tcp_proxy typed_config: %v", err)
	}
	if field := unmodelledTCPField(tp); field != "" {
		return cannot("tcp_proxy %s %s", tp.GetStatPrefix(), field)
	}
	clusters, err := tcpClusters(tp)
	if err != nil {
		return err
	}
	res.Action.Clusters = clusters
	res.Action.Retry = connectRetry(tp)
	res.Action.TCP = tcpLimits(tp)
	res.step("action", "tcp_proxy to %s; idle timeout %s, max connection duration %s", tcpClusterShares(clusters),
		res.Action.TCP.IdleTimeout, res.Action.TCP.MaxConnectionDuration)
	return nil
}

// tcpFields are the TcpProxy fields the simulator reads, or may ignore
// because they do not change where the connection goes (statistics,
// access logs, timeouts and connect backoff).
var tcpFields = map[protoreflect.Name]bool{
	"stat_prefix": true, "cluster": true, "weighted_clusters": true,
	"idle_timeout": true, "downstream_idle_timeout": true, "upstream_idle_timeout": true,
	"max_downstream_connection_duration": true, "max_downstream_connection_duration_jitter_percentage": true,
	"max_connect_attempts": true, "backoff_options": true,
	"access_log": true, "access_log_flush_interval": true, "flush_access_log_on_connected": true, "access_log_options": true,
}

func unmodelledTCPField(tp *tcpv3.TcpProxy) string {
	var field string
	tp.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if !tcpFields[fd.Name()] {
			field = string(fd.Name())
		}
		return field == ""
	})
	return field
}

func tcpClusters(tp *tcpv3.TcpProxy) ([]WeightedCluster, error) {
	if name := tp.GetCluster(); name != "" {
		return []WeightedCluster{{Name: name, Weight: 1, Probability: 1}}, nil
	}
	if tp.GetWeightedClusters() == nil {
		return nil, cannot("tcp_proxy %s has no cluster", tp.GetStatPrefix())
	}
	var out []WeightedCluster
	var total uint64
	for i, cw := range tp.GetWeightedClusters().GetClusters() {
		if cw.GetMetadataMatch() != nil {
			return nil, cannot("tcp_proxy %s weighted_clusters.clusters[%d].metadata_match", tp.GetStatPrefix(), i)
		}
		out = append(out, WeightedCluster{Name: cw.GetName(), Weight: cw.GetWeight()})
		total += uint64(cw.GetWeight())
	}
	if total == 0 {
		return nil, cannot("tcp_proxy %s: no cluster with weight", tp.GetStatPrefix())
	}
	for i := range out {
		out[i].Probability = float64(out[i].Weight) / float64(total)
	}
	return out, nil
}

// connectRetry: max_connect_attempts counts every attempt, so all but
// the first are retries on connect failure; unset means one attempt.
func connectRetry(tp *tcpv3.TcpProxy) *Retry {
	n := tp.GetMaxConnectAttempts().GetValue()
	if n <= 1 {
		return nil
	}
	return &Retry{Attempts: n - 1, RetryOn: []string{"connect-failure"}}
}

// tcpLimits: an unset idle timeout is Envoy's hour, 0s disables it; an
// unset maximum duration is none.
func tcpLimits(tp *tcpv3.TcpProxy) *TCPLimits {
	return &TCPLimits{IdleTimeout: timeoutOr(tp.GetIdleTimeout(), tcpIdleTimeoutDefault),
		MaxConnectionDuration: timeoutOr(tp.GetMaxDownstreamConnectionDuration(), 0)}
}

func tcpClusterShares(cs []WeightedCluster) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s (%.4g%%)", c.Name, 100*c.Probability)
	}
	return strings.Join(parts, ", ")
}
