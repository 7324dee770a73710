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

.PHONY: all deps build ui test test-unit lint bench fuzz demo demo-down clean

all: build

deps:
	@bash scripts/install-deps.sh
	@$(GO) mod download

# decky first (static), then decnetd with that binary embedded (-tags embeddecky), so decnetd is
# self-contained. A plain `go build ./...` still works: decnetd then reads --decky-binary or ./decky.
build: ui
	@$(GO) mod download
	@mkdir -p $(BIN) daemon/embedded
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -ldflags='-s -w' -o $(BIN)/decky ./cmd/decky
	cp $(BIN)/decky daemon/embedded/decky.bin
	$(GO) build $(GOFLAGS_BUILD) -o $(BIN)/decnetctl ./cmd/decnetctl
	$(GO) build $(GOFLAGS_BUILD) -tags embeddecky,webui -o $(BIN)/decnetd ./cmd/decnetd

# Web dashboard: npm ci from ui/package-lock.json, Vite build (fails over the 400 KB gzip JS budget), output
# copied to webui/dist, which decnetd embeds with -tags webui. Needs Node.js >= 20.19 and npm.
ui:
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "make ui: node and npm are required (Node.js >= 20.19)"; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' || { echo "make ui: Node.js >= 20.19 required, found $$(node --version)"; exit 1; }
	cd ui && npm ci --no-audit --no-fund && npm run build
	rm -rf webui/dist && mkdir -p webui/dist && cp -R ui/dist/. webui/dist/

# Unit tests that need no root, network or services (seconds).
test-unit:
	$(GO) test ./conf/... ./fleet/... ./event/...

# The whole suite, integration tests included (run as root: CI does).
test: deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	cd ui && npm test

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

# Tears the demo fleet down, stops its decnetd and dev containerd, removes the lab.
demo-down:
	@bash scripts/demo.sh down

clean:
	rm -rf $(BIN)
