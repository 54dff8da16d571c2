# Everyday entry points. `make help` lists them.
GO      ?= go
BIN     ?= bin/macabox
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/ccf-ai-infra/macabox/internal/cli.Version=$(VERSION)

.PHONY: help build version test unit demo generate lint fuzz bench clean testenv-up testenv-down

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/macabox
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/macabox

version: ## print the version make build stamps into bin/macabox
	@echo $(VERSION)

test: ## set up buildkitd, Docker, registry and fixtures, then run every test
	bash scripts/test.sh

unit: ## run the tests that need no daemons (fast; integration tests fail without the environment)
	$(GO) test -short ./...

demo: ## build the demo stack on the simulated MACA base and smoke-test it
	bash scripts/demo.sh

generate: ## regenerate the JSON Schema and the CLI and recipe-format references
	$(GO) generate ./...

lint: ## gofmt, go vet and shellcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'run gofmt -w'; exit 1; }
	$(GO) vet ./...
	shellcheck $$(git ls-files '*.sh') .ci/run

fuzz: ## fuzz the recipe loader and the Dockerfile renderer, each for FUZZTIME (default 30s)
	$(GO) test ./internal/recipe -run '^$$' -fuzz FuzzLoad -fuzztime $${FUZZTIME:-30s}
	$(GO) test ./internal/plan -run '^$$' -fuzz FuzzRender -fuzztime $${FUZZTIME:-30s}

bench: ## run the benchmarks (see docs/benchmarks.md)
	bash bench/run.sh

testenv-up: ## start the test environment and print its variables
	bash scripts/testenv.sh up

testenv-down: ## stop what testenv-up started
	bash scripts/testenv.sh down

clean: ## remove build outputs (the cache under ~/.cache/macabox stays)
	rm -rf bin
