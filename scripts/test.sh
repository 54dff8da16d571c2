#!/usr/bin/env bash
# test.sh: what `make test` runs. Brings the test world up (cached, so a
# warm start takes about a second), runs every Go test with it, then a short
# fuzz run of the recipe loader.
#
# The world is left running for the next run; `make testenv-down` (or
# scripts/testenv.sh down) stops it. .ci/run takes it down by itself.
#
#   FUZZTIME   length of the fuzz run (default 20s; 0 skips it)
#   GOTESTFLAGS extra flags for `go test`, e.g. "-run Build -v"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_PREFIX='test'
# shellcheck source=lib.sh
. scripts/lib.sh
trap phase_exit_report EXIT

start=$(now_us)
phase testenv-up scripts/testenv.sh up
env_lines=$(scripts/testenv.sh env)
eval "$env_lines"

# Word splitting of GOTESTFLAGS is the point: it holds several flags.
# shellcheck disable=SC2086
phase go-test go test ${GOTESTFLAGS:-} ./...
if [[ ${FUZZTIME:-20s} != 0 ]]; then
	phase fuzz "${MAKE:-make}" fuzz FUZZTIME="${FUZZTIME:-20s}"
fi
PHASE_TIMES+=("total $(fmt_us "$(($(now_us) - start))")")
print_phase_times
