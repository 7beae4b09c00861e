# lab: build, test, demo. See README.md.
GO        ?= go
BIN       := $(CURDIR)/bin
SIMBIN    := $(BIN)/sim
SIM_HOME  ?= $(CURDIR)/.sim
STATICCHECK_VERSION := v0.8.2

.PHONY: all build sim test test-unit lint demo demo-destroy sim-reset clean cross bench

all: build

build:
	$(GO) build -o $(BIN)/lab ./cmd/lab

# The simulators: VBoxManage, the VM runtime and the guest's commands, plus the
# appliance (a Vagrant box and an OVA) that stands for an Ubuntu cloud image.
sim:
	$(GO) build -o $(SIMBIN)/VBoxManage ./sim/cmd/vboxmanage
	$(GO) build -o $(SIMBIN)/labsim ./sim/cmd/labsim
	CGO_ENABLED=0 $(GO) build -o $(SIMBIN)/guest ./sim/cmd/guest
	$(SIMBIN)/labsim mkbox --guest $(SIMBIN)/guest --out $(SIMBIN)/box

# Unit tests and end-to-end tests against the simulators (needs root for the
# simulated guests; `make demo` prints what to install).
test: build sim
	LAB_SIM_BIN=$(SIMBIN) LAB_BIN=$(BIN)/lab LAB_SIM_TIME_SCALE=0.02 \
		$(GO) test -timeout 40m ./...

test-unit:
	$(GO) test -short ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

cross:
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/lab
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/lab

# The main job: a three-node MicroK8s lab built by lab against the simulators.
demo: build sim
	SIM_HOME=$(SIM_HOME) SIMBIN=$(SIMBIN) LAB=$(BIN)/lab scripts/demo.sh

demo-destroy: build sim
	SIM_HOME=$(SIM_HOME) SIMBIN=$(SIMBIN) LAB=$(BIN)/lab scripts/demo.sh destroy

# lab against Vagrant on the same simulated VirtualBox (docs/performance.md).
bench: build sim
	LAB_BIN=$(BIN)/lab bench/run.sh

sim-reset:
	LAB_SIM_HOME=$(SIM_HOME) $(SIMBIN)/labsim reset

clean:
	rm -rf $(BIN)
