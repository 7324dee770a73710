# decnet — build, test, demo. Every target installs what it lacks (Debian 12, as root).
SHELL      := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO         ?= go
BIN        := bin
GOFLAGS_BUILD := -trimpath
TEST_TIMEOUT ?= 30m
FUZZTIME   ?= 60s
STATICCHECK_VERSION ?= 2026.2.2
DEMO_DIR   ?= $(CURDIR)/.demo

.PHONY: all deps build test test-unit lint bench fuzz demo demo-down clean

all: build

deps:
	@bash scripts/install-deps.sh
	@$(GO) mod download

build:
	@$(GO) mod download
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -ldflags='-s -w' -o $(BIN)/decky ./cmd/decky
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/decnetctl ./cmd/decnetctl
	@if [ -f cmd/decnetd/main.go ]; then echo "$(GO) build -o $(BIN)/decnetd ./cmd/decnetd"; $(GO) build $(GOFLAGS_BUILD) -o $(BIN)/decnetd ./cmd/decnetd; fi

# Unit tests that need no root, network or services (seconds).
test-unit:
	$(GO) test ./conf/... ./fleet/... ./event/...

# The whole suite, integration tests included (run as root: CI does).
test: deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

lint:
	@$(GO) mod download
	@test -x "$$($(GO) env GOPATH)/bin/staticcheck" || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	"$$($(GO) env GOPATH)/bin/staticcheck" ./...

bench: deps build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# Runs every fuzz target for FUZZTIME (default 60s each).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

demo: deps build
	@bash scripts/demo.sh

clean:
	rm -rf $(BIN)
