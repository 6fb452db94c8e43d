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

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./pkg/...

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
