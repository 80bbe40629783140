# gdgpu: make demo (install, build, run on the GPU, compare with the CPU)
# and make test (vet, gofmt, tests with GL, a short fuzz run).
#
# Every go command builds with -tags egl: go-gl/gl then loads GL through
# libEGL alone, so nothing needs X11.

# scripts/deps.sh may install a Go toolchain in .toolchain/go.
export PATH := $(CURDIR)/.toolchain/go/bin:$(PATH)

GO      ?= go
TAGS    := -tags egl
BIN     := bin/gdgpu
# A count of executions, not a duration: go1.26's fuzz coordinator can fail
# a duration-bounded run with a spurious "context deadline exceeded" as the
# time runs out (golang/go#75804, fixed in go1.27).
FUZZTIME ?= 40000x
# Minimizing each new interesting input may otherwise take 60 s of a short run.
FUZZMINTIME ?= 1s

.PHONY: all deps build demo test vet fmt-check fma-check bench clean gpu-check

all: build

deps:
	bash scripts/deps.sh

build:
	$(GO) build $(TAGS) -o $(BIN) ./cmd/gdgpu

# The live window (gdgpu view without --png): GLFW on X11, so it is a
# second binary; bin/gdgpu stays free of X11 for headless servers.
.PHONY: view
view: deps
	$(GO) build -tags egl,window -o bin/gdgpu-view ./cmd/gdgpu

# The demo: a descent of 2^20 parameters that converges (heavy-ball SGD with
# the optimal step and momentum for a quadratic of condition number 1000:
# lr = 4/(sqrt(L)+sqrt(mu))^2, momentum = ((sqrt(k)-1)/(sqrt(k)+1))^2), the
# CPU/GPU comparison of the same job, a race of three optimizers on
# Himmelblau's function, and the loss curve, into a new folder demo-DATE.
DEMO_JOB := --problem quadratic --cond 1000 --dim 1048576 --optimizer sgd --lr 0.00376 --momentum 0.881
demo: deps build
	$(BIN) info
	@d=demo-$$(date +%Y%m%d-%H%M%S) && mkdir $$d && set -x && \
	$(BIN) run $(DEMO_JOB) --steps 2000 --log-every 20 --grad-tol 1e-4 --run-dir $$d/run && \
	$(BIN) compare $(DEMO_JOB) --steps 400 --log-every 20 && \
	$(BIN) view --problem himmelblau --optimizer adam,sgd,rmsprop --lr 0.02 --steps 500 --png $$d/race.png && \
	$(BIN) plot $$d/run/log.csv --title "heavy-ball SGD on a quadratic, cond 1000, N = 2^20" -o $$d/loss.png && \
	{ set +x; echo "demo: the run, its log and parameters, race.png and loss.png are in $$d/"; }

vet:
	$(GO) vet $(TAGS) ./...

# gofmt over the repository's Go files (not the downloaded toolchain).
fmt-check:
	@gofmt=$$($(GO) env GOROOT)/bin/gofmt; \
	files=$$(find . \( -path ./.toolchain -o -path ./bin -o -path ./.git \) -prune -o -name '*.go' -print | xargs $$gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi

# The float64 reference under the builds that fuse x*y+z into an FMA
# (arm64, GOAMD64=v3): arm64 vet, no unasked-for fused multiply-add in
# gc's arm64 code, the bit-identity tests built with GOAMD64=v3 where the
# CPU has FMA (scripts/fma-check.sh; package cpu's doc, "Rounding").
fma-check:
	GO=$(GO) bash scripts/fma-check.sh

test: deps vet fmt-check fma-check
	$(GO) test $(TAGS) -count=1 ./...
	$(GO) test -tags egl,window -count=1 ./viewer/window/
	$(GO) test -tags egl,window -count=1 -run Window ./cmd/gdgpu/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzReadVector -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./data/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzReadCSV -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./data/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzReadCheckpoint -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) .
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzJobFile -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./cmd/gdgpu/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./jobfile/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzReadColumns -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./runlog/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzModelCard -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) .
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./internal/expr/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzJIT -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./internal/expr/
	$(GO) test $(TAGS) -run '^$$' -fuzz FuzzGemm -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME) ./internal/kern/
	# The GPU check in quick mode on llvmpipe, so that it never rots.
	d=$$(mktemp -d) && GPU_CHECK_OUT=$$d/report bash scripts/gpu-check.sh --quick --allow-software && rm -rf $$d

# The whole check on a GPU machine (scripts/gpu-check.sh; BENCHMARKS.md).
gpu-check: deps
	bash scripts/gpu-check.sh

bench: deps
	$(GO) test $(TAGS) -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
