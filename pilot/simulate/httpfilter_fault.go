package simulate

import (
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
)

// fault records the delay and abort the fault filter injects, each with
// the share of requests it hits (percentage; unset is 0%). The fault
// applies only to requests its headers match and, with upstream_cluster,
// only on the way to that cluster.
func (hf httpFilter) fault(res *Result, req *Request) error {
	cfg := &faultv3.HTTPFault{}
	if err := hf.config().UnmarshalTo(cfg); err != nil {
		return cannot("fault filter %s config: %v", hf.f.GetName(), err)
	}
	if len(cfg.GetDownstreamNodes()) > 0 {
		return cannot("fault filter %s downstream_nodes", hf.f.GetName())
	}
	applies, err := faultApplies(cfg, req, res)
	if err != nil || !applies {
		res.decide(hf.f.GetName(), "pass (fault does not apply)")
		return err
	}
	fault, err := faultOf(cfg, hf.f.GetName())
	if err != nil || fault == nil {
		res.decide(hf.f.GetName(), "pass (no fault configured)")
		return err
	}
	res.Action.Fault = fault
	res.decide(hf.f.GetName(), "%s", describeFault(fault))
	return nil
}

func faultApplies(cfg *faultv3.HTTPFault, req *Request, res *Result) (bool, error) {
	if uc := cfg.GetUpstreamCluster(); uc != "" && (len(res.Action.Clusters) != 1 || res.Action.Clusters[0].Name != uc) {
		return false, nil
	}
	for _, h := range cfg.GetHeaders() {
		if ok, err := headerMatches(h, req); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// faultOf is the configured fault; nil when neither delay nor abort is set.
func faultOf(cfg *faultv3.HTTPFault, name string) (*Fault, error) {
	if cfg.GetDelay() == nil && cfg.GetAbort() == nil {
		return nil, nil
	}
	f := &Fault{}
	if d := cfg.GetDelay(); d != nil {
		if d.GetFixedDelay() == nil {
			return nil, cannot("fault filter %s delay %T (not a fixed delay)", name, d.GetFaultDelaySecifier())
		}
		delay := d.GetFixedDelay().AsDuration()
		f.Delay, f.DelayProbability = &delay, fraction(d.GetPercentage())
	}
	if a := cfg.GetAbort(); a != nil {
		switch {
		case a.GetHttpStatus() != 0:
			f.AbortStatus = int(a.GetHttpStatus())
		case a.GetGrpcStatus() != 0:
			f.AbortGRPCStatus = int(a.GetGrpcStatus())
		default:
			return nil, cannot("fault filter %s abort %T (status from a request header)", name, a.GetErrorType())
		}
		f.AbortProbability = fraction(a.GetPercentage())
	}
	return f, nil
}

func describeFault(f *Fault) string {
	s := "inject"
	if f.Delay != nil {
		s += " delay " + f.Delay.String() + " on " + percentString(f.DelayProbability)
	}
	switch {
	case f.AbortStatus != 0:
		s += " abort " + itoa(uint32(f.AbortStatus)) + " on " + percentString(f.AbortProbability)
	case f.AbortGRPCStatus != 0:
		s += " abort grpc-status " + itoa(uint32(f.AbortGRPCStatus)) + " on " + percentString(f.AbortProbability)
	}
	return s
}
