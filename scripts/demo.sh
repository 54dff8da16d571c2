#!/usr/bin/env bash
# demo.sh: the README's main job (`make demo`). Sets up the test world, builds
# the `demo` stack on the SIMULATED MACA base through the pinned buildkitd,
# prints its manifest digest, loads it into Docker and runs its smoke tests,
# then stops what it started. The simulated base stands in for MetaX's MACA
# image so that the whole pipeline runs on any Linux machine; it is not MACA.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_PREFIX=demo
# shellcheck source=lib.sh
. scripts/lib.sh
# shellcheck source=session.sh
. scripts/session.sh

session_up

log "building bin/macabox"
make --no-print-directory build

log "macabox build demo --test (on the simulated MACA base)"
bin/macabox build demo --test \
	--builder "$MACABOX_TEST_BUILDKIT_HOST" \
	--base "${MACABOX_TEST_MACASIM_REF}=oci-layout://${MACABOX_TEST_OCI_STORE}@${MACABOX_TEST_MACASIM_DIGEST}" \
	--progress "${MACABOX_PROGRESS:-auto}" \
	--metadata-file bin/demo.metadata.json \
	--report text=- --report md=bin/demo.report.md
log "metadata: bin/demo.metadata.json, smoke report: bin/demo.report.md"
