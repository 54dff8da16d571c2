#!/usr/bin/env bash
# test.sh: the README's test command (`make test`). Sets up the whole test
# world (pinned buildkitd built from source, Docker, local registry, fixture
# images), runs every Go test against it, fuzzes the recipe loader and the
# Dockerfile renderer briefly, and stops what it started.
#
#   MACABOX_FUZZTIME  how long to fuzz each of the recipe loader and the
#                     renderer (default 20s and 15s; 0 skips both)
#   GOTESTFLAGS       extra flags for go test (e.g. -run TestBuild -v)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_PREFIX='test'
# shellcheck source=lib.sh
. scripts/lib.sh
# shellcheck source=session.sh
. scripts/session.sh

session_up

log "go vet"
go vet ./...

# Integration tests build images and start containers; one package at a
# time keeps the two cores of a CI machine from thrashing.
log "go test ./..."
# shellcheck disable=SC2086 # GOTESTFLAGS is a list of flags
go test -p 1 -count=1 -timeout 40m ${GOTESTFLAGS:-} ./...

fuzztime=${MACABOX_FUZZTIME:-20s}
if [[ $fuzztime != 0 ]]; then
	log "fuzzing the recipe loader for ${fuzztime}"
	go test ./internal/recipe -run '^$' -fuzz '^FuzzLoad$' -fuzztime "$fuzztime"
	# Rendered Dockerfiles must read, in BuildKit's own parser, as exactly
	# the instructions the plan means, whatever the scripts and values.
	rendertime=${MACABOX_FUZZTIME:-15s}
	log "fuzzing the Dockerfile renderer for ${rendertime}"
	go test ./internal/plan -run '^$' -fuzz '^FuzzRender$' -fuzztime "$rendertime"
fi
log "all tests passed"
