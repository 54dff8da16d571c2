# shellcheck shell=bash
# Sourced by test.sh and demo.sh: bring the test world up for the length of
# one command, and take down only what this command brought up, so that a
# developer's own `make testenv-up` survives a `make test`.

# Globals it sets: MACABOX_SESSION_STARTED (1 when this session started the
# world and will stop it on exit).
MACABOX_SESSION_STARTED=0

session_up() {
	if bash scripts/testenv.sh env >/dev/null 2>&1; then
		log "test world already up; it stays up afterwards"
	else
		MACABOX_SESSION_STARTED=1
	fi
	trap session_down EXIT
	bash scripts/testenv.sh up
	local env
	env=$(bash scripts/testenv.sh env)
	eval "$env"
}

session_down() {
	local rc=$?
	if ((MACABOX_SESSION_STARTED == 1)); then
		bash scripts/testenv.sh down || log "scripts/testenv.sh down failed; see above"
	fi
	exit "$rc"
}
