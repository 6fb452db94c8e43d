# nettrain — the two commands that do everything on a fresh machine:
#   make run    build, then train configs/quickstart.yaml on the in-repo data and print test accuracy
#   make test   every test (unit, gradient checks, fuzz seed corpora, end to end)

GO      ?= go
BIN     := bin/nettrain
DATADIR := /usr/share/datasets/fashion-mnist

.PHONY: all build run test bench data lint fuzz clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/nettrain

run: build
	./$(BIN) train -c configs/quickstart.yaml --out runs/quickstart --overwrite

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Speed comparison. First the Go benchmarks (layers, one training step of each configs/bench model on
# the in-repo subset, tensor.Gemm; any machine), then cmd/nettrain-bench: each configs/bench model
# (mlp, cnn, resnet8) trains the same images in nettrain and in PyTorch (configs/bench/torch_bench.py)
# and tensor.Gemm is timed against numpy's BLAS; it prints img/s and GFLOP/s tables. The second step
# needs `make data` and /usr/bin/python3 with python3-torch and python3-numpy (numpy on
# libopenblas0-pthread for the OpenBLAS baseline). Defaults: one epoch (60000 images), 2 threads.
# Options go in BENCHFLAGS: --images N --threads T --rounds R --models mlp,cnn --skip-torch --skip-gemm, e.g.
#   make bench BENCHFLAGS='--images 20000 --rounds 3'   (the README's table: best of 3 alternating rounds)
BENCHFLAGS ?=
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1s ./pkg/...
	$(GO) run ./cmd/nettrain-bench $(BENCHFLAGS)

# Full Fashion-MNIST (60k/10k) from Debian's package, for configs/fashion-mlp.yaml.
data:
	@if [ -f $(DATADIR)/train-images-idx3-ubyte.gz ]; then echo "Fashion-MNIST is in $(DATADIR)"; \
	else apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; fi

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Longer fuzzing of every parser (make test runs only their seed corpora).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadIDX -fuzztime $(FUZZTIME) ./pkg/data/
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./pkg/checkpoint/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./pkg/config/

clean:
	rm -rf bin runs
