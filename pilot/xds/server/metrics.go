package server

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	connected       prometheus.Gauge
	pushes          *prometheus.CounterVec
	nacks           *prometheus.CounterVec
	generateSeconds prometheus.Histogram
	generateErrors  prometheus.Counter
	// rejected counts generated resources left out for failing validation,
	// once each per introduction (not per proxy), by type.
	rejected  *prometheus.CounterVec
	meshReady prometheus.Gauge
	queueWait prometheus.Histogram
	// identityRejections counts streams refused because the node's claims
	// contradict its certificate, or another identity holds the node id.
	identityRejections *prometheus.CounterVec
	// sendTimeouts counts streams ended because a response was not taken
	// in time, by what it waited for: the client's window or the budget.
	sendTimeouts *prometheus.CounterVec
	// refused counts requests ignored or refused for what they ask
	// (limits.go), by reason.
	refused *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "weft_xds_connected_proxies", Help: "Proxies with at least one open xDS stream."}),
		pushes:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_xds_pushes_total", Help: "xDS responses sent, by type."}, []string{"type"}),
		nacks:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_xds_nacks_total", Help: "xDS responses rejected by proxies, by type."}, []string{"type"}),
		generateSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "weft_xds_generate_seconds", Help: "Time to generate one proxy's configuration.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}),
		generateErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "weft_xds_generate_errors_total", Help: "Proxy configurations pushed with resources left out for failing validation."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_xds_rejected_resources_total",
			Help: "Generated resources left out of proxies' configuration for failing validation, by type."}, []string{"type"}),
		meshReady: prometheus.NewGauge(prometheus.GaugeOpts{Name: "weft_mesh_ready", Help: "1 once a mesh configuration is being served."}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "weft_xds_push_queue_seconds", Help: "Time a proxy waited in the push queue.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}),
		identityRejections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_xds_identity_rejections_total",
			Help: "xDS streams refused because the node's claims do not match its client certificate, by reason."}, []string{"reason"}),
		sendTimeouts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_xds_send_timeouts_total",
			Help: "xDS streams ended because a response was not taken in time, by what it waited for (client, budget)."}, []string{"reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "weft_xds_requests_refused_total",
			Help: "xDS requests ignored (a type weft does not serve) or refused (names beyond weft's bounds), by reason."}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.pushes, m.nacks, m.generateSeconds, m.generateErrors, m.rejected, m.meshReady, m.queueWait, m.identityRejections, m.sendTimeouts, m.refused)
	}
	return m
}

// shortType turns a type URL into a label value such as "Listener".
func shortType(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, ".")+1:]
}
