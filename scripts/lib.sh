# shellcheck shell=bash
# Shared helpers for the scripts and .ci/run. Sourced, never executed: they
# must report progress and install host packages the same way as the test
# world's command does, so a CI log and a developer's terminal read alike.

# Callers set LOG_PREFIX before sourcing to tell their messages apart.
: "${LOG_PREFIX:=macabox}"

# Without this, errexit is off inside $(...), and a failing step in a
# function whose output is captured would go unnoticed.
shopt -s inherit_errexit

log() {
	printf '[%s] %s\n' "$LOG_PREFIX" "$*" >&2
}

die() {
	printf '[%s] error: %s\n' "$LOG_PREFIX" "$*" >&2
	exit 1
}

# Microseconds since the epoch; EPOCHREALTIME avoids forking date(1) for
# every timing sample.
now_us() {
	local t=${EPOCHREALTIME/[.,]/}
	printf '%s\n' "$((10#$t))"
}

# Formats a duration given in microseconds as seconds with millisecond
# precision, e.g. 12.345s.
fmt_us() {
	local us=$1
	printf '%d.%03ds' "$((us / 1000000))" "$(((us / 1000) % 1000))"
}

# PHASE_TIMES collects "name duration" lines so a summary can be printed at
# the end; timings are the point of running a phase through here.
PHASE_TIMES=()
PHASE_NAME=
PHASE_START=0

# phase NAME CMD [ARG...]: runs CMD and logs how long it took. CMD runs as a
# plain command, not under `if` or `||`, so that errexit stays in force inside
# it; a failure exits the script and phase_exit_report (an EXIT trap) still
# logs how long the phase ran before it failed.
phase() {
	PHASE_NAME=$1
	PHASE_START=$(now_us)
	shift
	log "phase ${PHASE_NAME}: start"
	"$@"
	local took
	took=$(fmt_us "$(($(now_us) - PHASE_START))")
	PHASE_TIMES+=("${PHASE_NAME} ${took}")
	log "phase ${PHASE_NAME}: done in ${took}"
	PHASE_NAME=
}

phase_exit_report() {
	if [[ -n $PHASE_NAME ]]; then
		local took
		took=$(fmt_us "$(($(now_us) - PHASE_START))")
		PHASE_TIMES+=("${PHASE_NAME} ${took}(FAILED)")
		log "phase ${PHASE_NAME}: FAILED after ${took}"
		PHASE_NAME=
	fi
}

print_phase_times() {
	local line
	((${#PHASE_TIMES[@]} > 0)) || return 0
	log "timings:"
	for line in "${PHASE_TIMES[@]}"; do
		log "  ${line% *}: ${line##* }"
	done
}

is_root() {
	[[ $(id -u) -eq 0 ]]
}

APT_UPDATED=false

# apt_install WHY PACKAGE...: installs Debian packages as root; anyone else
# gets the exact command to run. A fresh CI machine has none of the tools
# the test world needs.
apt_install() {
	local why=$1
	shift
	if ! is_root; then
		die "${why}; install with: sudo apt-get install -y $*"
	fi
	command -v apt-get >/dev/null 2>&1 || die "${why}, and there is no apt-get to install $*"
	log "installing $* (${why})"
	if [[ $APT_UPDATED != true ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
			die "apt-get update failed; the Debian mirror must be reachable"
		APT_UPDATED=true
	fi
	# Recommends are skipped: docker.io would pull in needrestart and friends,
	# which prompt or restart services on a CI machine.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 ||
		die "apt-get install $* failed"
}

# ensure_commands CMD=PACKAGE...: installs the package of each missing
# command.
ensure_commands() {
	local spec cmd pkg missing=() pkgs=()
	for spec in "$@"; do
		cmd=${spec%%=*}
		pkg=${spec#*=}
		if ! command -v "$cmd" >/dev/null 2>&1; then
			missing+=("$cmd")
			# Several commands can come from one package (docker, dockerd).
			if [[ " ${pkgs[*]} " != *" ${pkg} "* ]]; then
				pkgs+=("$pkg")
			fi
		fi
	done
	((${#pkgs[@]} > 0)) || return 0
	apt_install "missing commands: ${missing[*]}" "${pkgs[@]}"
	for cmd in "${missing[@]}"; do
		command -v "$cmd" >/dev/null 2>&1 ||
			die "installed ${pkgs[*]} but ${cmd} is still not on PATH (${PATH})"
	done
}
