#!/usr/bin/env bash
# test.sh: the README's test command (`make test`). Sets up the whole test
# world (pinned buildkitd built from source, Docker, local registry, fixture
# images), runs every Go test against it, fuzzes the recipe loader briefly,
# and stops what it started.
#
#   MACABOX_FUZZTIME  how long to fuzz the recipe loader (default 20s; 0 skips)
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
fi
log "all tests passed"
