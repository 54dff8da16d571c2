#!/usr/bin/env bash
# testenv.sh: the macabox test world. `scripts/testenv.sh help`
# lists its commands and settings; the work is done by the Go command in
# internal/testenv/cmd/testenv, which this script builds into the cache once
# per change of its sources and then runs.
#
# The build is keyed by a hash of those sources rather than left to `go
# build`'s own staleness check: that check costs a few hundred milliseconds,
# and `env` runs several times per test run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MACABOX_CACHE:-${HOME}/.cache/macabox}
# The command's own packages: a test in internal/testenv/cmd/testenv fails
# when it imports anything else of this module.
SOURCES=internal/testenv

die() {
	printf '[testenv] error: %s\n' "$*" >&2
	exit 1
}

# source_key: a short hash of go.mod and the command's Go files, with their
# names and sizes, in an order that does not depend on the locale. Few
# processes: this runs on every call.
source_key() {
	local files
	cd "$REPO_ROOT"
	mapfile -t files < <(find "$SOURCES" -name '*.go' ! -name '*_test.go' | LC_ALL=C sort)
	{
		wc -c go.mod "${files[@]}"
		cat go.mod "${files[@]}"
	} | sha256sum | cut -c1-16
}

key=$(source_key)
bin=${CACHE}/bin/testenv-${key}/testenv
if [[ ! -x $bin ]]; then
	command -v go >/dev/null 2>&1 ||
		die "the Go toolchain is needed to build the test world's command; install the version of the go line of ${REPO_ROOT}/go.mod"
	mkdir -p "${bin%/*}"
	tmp=$(mktemp "${bin}.XXXXXX")
	# GOWORK=off: a go.work in the checkout must not change what is built.
	if ! (cd "$REPO_ROOT" && GOWORK=off CGO_ENABLED=0 go build -trimpath -o "$tmp" ./internal/testenv/cmd/testenv); then
		rm -f "$tmp"
		die "go build ./internal/testenv/cmd/testenv failed (see above)"
	fi
	mv -f "$tmp" "$bin"
	# Builds for older sources are of no more use.
	find "${CACHE}/bin" -maxdepth 1 -name 'testenv-*' ! -name "testenv-${key}" -exec rm -rf {} +
fi
exec "$bin" -repo "$REPO_ROOT" "$@"
