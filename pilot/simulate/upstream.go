package simulate

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// upstream resolves one cluster a route or TCP proxy sends to: its
// discovery type, load balancer, circuit breakers, transport socket and
// endpoints. It appends one Upstream per call, even when the proxy then
// fails, so the result shows what the cluster held.
func (c *Config) upstream(name string, req *Request, res *Result) error {
	cl, ok := c.Clusters[name]
	if !ok {
		// Envoy's router answers 503 (cluster_not_found_response_code's
		// default) and tcp_proxy closes the connection; both log NC.
		res.Upstreams = append(res.Upstreams, Upstream{Cluster: name})
		failUpstream(req, res, "NC", "cluster %s not found", name)
		return nil
	}
	if err := unsupportedCluster(cl); err != nil {
		return err
	}
	up, hosts, err := c.describeCluster(cl, req)
	if err != nil {
		return err
	}
	res.Upstreams = append(res.Upstreams, *up)
	res.step("cluster", "%s: %s, lb %s, transport socket %s%s", name, up.Type, up.LB, up.TransportSocket, clusterNote(cl))
	c.checkHosts(cl, hosts, req, res)
	return nil
}

// describeCluster is everything the simulator reports about a cluster,
// and its hosts with the health detail the Upstream does not keep.
func (c *Config) describeCluster(cl *clusterv3.Cluster, req *Request) (*Upstream, []host, error) {
	up := &Upstream{
		Cluster:         cl.GetName(),
		Type:            clusterType(cl),
		LB:              cl.GetLbPolicy().String(),
		CircuitBreakers: circuitBreakers(cl),
		Outlier:         outlierOf(cl.GetOutlierDetection()),
		DNS:             dnsOf(cl),
	}
	if err := setConnection(cl, up); err != nil {
		return nil, nil, err
	}
	ts, err := describeSocket(cl.GetName()+" transport_socket", cl.GetTransportSocket())
	if err != nil {
		return nil, nil, err
	}
	up.TransportSocket, up.SNI, up.SANs, up.ClientCertificate, up.TrustedCA = ts.kind, ts.sni, ts.sans, ts.cert, ts.ca
	up.ALPN = ts.alpn
	applyAutoSNI(cl, up, req)
	hosts, err := c.clusterEndpoints(cl, req)
	if err != nil {
		return nil, nil, err
	}
	if err := setHostSockets(cl, up, hosts); err != nil {
		return nil, nil, err
	}
	return up, hosts, nil
}

// failUpstream records a failure the way Envoy reports it for the
// request's protocol: an HTTP status, or a closed TCP connection.
func failUpstream(req *Request, res *Result, flag, format string, args ...any) {
	status := 503
	if !req.Protocol.IsHTTP() {
		status = 0
	}
	res.fail(status, flag, format, args...)
}
