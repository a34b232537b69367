# weft — see README.md. Every target works on a fresh machine with Go only.
GO        ?= go
BIN       := bin
TOOL      := $(GO) tool -modfile=tools/go.mod
PKGS      := ./...
TEST_TIMEOUT ?= 25m

.PHONY: all build kube-binaries kube-binaries-start test test-unit generate verify-generated lint run bench fuzz clean

all: build

## build: compile weftd, weft-agent and weftctl into bin/
build:
	$(GO) build -o $(BIN)/ ./cmd/...

## run: weftd on samples/config plus proxyless demo services and a client printing the live split
run: build
	$(GO) build -o $(BIN)/weft-demo ./samples/demo
	$(BIN)/weft-demo --weftd $(BIN)/weftd --config-dir samples/config

## test: generated files fresh, vet, then every test (unit, golden, e2e, Kubernetes e2e); CI=true makes
## a missing prerequisite fail, the e2e suites run the binaries `build` just made (tests/harness), and
## the Kubernetes binaries build in the background meanwhile (kube-binaries-start)
test: kube-binaries-start verify-generated build
	hack/ensure-iptables.sh
	$(GO) vet $(PKGS)
	CI=true WEFTD_BIN=$(CURDIR)/$(BIN)/weftd WEFT_AGENT_BIN=$(CURDIR)/$(BIN)/weft-agent WEFTCTL_BIN=$(CURDIR)/$(BIN)/weftctl \
		$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

## kube-binaries: kube-apiserver, kube-controller-manager, kubectl and etcd for the Kubernetes
## tests, built from source once and cached outside the repo in WEFT_KUBE_CACHE (6-9 min cold
## on 2 cores); only what is missing is built, and KUBEBUILDER_ASSETS (setup-envtest's directory,
## v1.36.x) supplies kube-apiserver and kubectl (hack/kubebin/build.sh)
kube-binaries:
	hack/kubebin/build.sh

## kube-binaries-start: kube-binaries detached and niced; make test starts it first so the build
## overlaps the checks and the other packages' tests, and the Kubernetes tests wait on its lock
## (and fail with its log if it failed)
kube-binaries-start:
	hack/kubebin/build.sh --background

## generate: Istio's CRDs from istio.io/api, protobuf, then install.yaml and the chart's CRDs
generate:
	hack/generate.sh
	hack/genproto.sh
	hack/render-install.sh

verify-generated:
	hack/verify-generated.sh

## lint: gofmt, go vet, staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(TOOL) staticcheck $(PKGS)

## bench: translation and generation benchmarks over small/medium/large meshes
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pilot/... ./ca/ ./injector/
	$(GO) test -run '^$$' -bench BenchmarkIdleEventedCall -benchtime 2000x ./internal/leangrpc/

.PHONY: bench-load bench-load-s1 bench-load-s2 bench-load-s3 bench-load-restart bench-load-tls
# bound on each wait (initial sync, convergence, reconnection) of a bench-load run
LOAD_TIMEOUT    ?= 5m
LOAD_TIMEOUT_S2 ?= 15m

## bench-load: weft-load starts weftd on scenario S1 (1000 services, 2000 proxies), changes one weight (docs/performance.md)
bench-load: build
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S1 --change weight --timeout $(LOAD_TIMEOUT)

## bench-load-s1: S1 three times, one weftd each: weight change, endpoint added, new service
bench-load-s1: build
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S1 --change weight --timeout $(LOAD_TIMEOUT)
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S1 --change endpoint --timeout $(LOAD_TIMEOUT)
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S1 --change service --timeout $(LOAD_TIMEOUT)

## bench-load-s3: issue 17's scenario (1000 ServiceEntry services, 100 namespaces with Sidecars, 2000 sidecars), one weight change, then the same mesh at 10,000 sidecars
bench-load-s3: build
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S3 --change weight --timeout $(LOAD_TIMEOUT)
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S3 --proxies 10000 --change weight --timeout $(LOAD_TIMEOUT_S2)

## bench-load-s2: scenario S2 (1000 services, 10,000 proxies), one weight change
bench-load-s2: build
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S2 --change weight --timeout $(LOAD_TIMEOUT_S2)

## bench-load-restart: S2, then weftd is restarted and every proxy's reconnection is measured
bench-load-restart: build
	$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S2 --restart --timeout $(LOAD_TIMEOUT_S2)

## bench-load-tls: S1's initial sync over plaintext then over mutual TLS (weftd's secure port), interleaved
## LOAD_TLS_ROUNDS times because this VM varies run to run; LOAD_TLS_KIND=sidecar for sidecars only
LOAD_TLS_ROUNDS ?= 2
LOAD_TLS_KIND   ?= mixed
bench-load-tls: build
	for i in $$(seq $(LOAD_TLS_ROUNDS)); do \
		$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S1 --kind $(LOAD_TLS_KIND) --timeout $(LOAD_TIMEOUT) || exit 1; \
		$(BIN)/weft-load --weftd $(BIN)/weftd --scenario S1 --kind $(LOAD_TLS_KIND) --tls --timeout $(LOAD_TIMEOUT) || exit 1; \
	done

## fuzz: each fuzz target for FUZZTIME (default 1m)
FUZZTIME ?= 1m
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./pilot/config/
	$(GO) test -run '^$$' -fuzz FuzzParseCSR -fuzztime $(FUZZTIME) ./ca/
	$(GO) test -run '^$$' -fuzz FuzzParseCertsPEM -fuzztime $(FUZZTIME) ./ca/
	$(GO) test -run '^$$' -fuzz FuzzValidate -fuzztime $(FUZZTIME) ./pilot/analysis/
	$(GO) test -run '^$$' -fuzz FuzzRequestSpec -fuzztime $(FUZZTIME) ./pilot/simulate/
	$(GO) test -run '^$$' -fuzz FuzzFromConfigDump -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./pilot/simulate/
	$(GO) test -run '^$$' -fuzz FuzzAcceptedConfigIsValidEnvoy -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -timeout 0 ./pilot/pipeline/
	$(GO) test -run '^$$' -fuzz FuzzConn -fuzztime $(FUZZTIME) ./internal/leangrpc/

clean:
	rm -rf $(BIN)
