#!/usr/bin/env bash
# testenv.sh: the macabox test world (DESIGN.md §5), built on this machine
# because no container registry or package index can be reached.
#
#   scripts/testenv.sh up                   start docker, buildkitd, registry; build fixtures
#   scripts/testenv.sh env                  print `export VAR=value` lines for tests
#   scripts/testenv.sh status               what is running, and the fixture digests
#   scripts/testenv.sh down                 stop what `up` started (and nothing else)
#   scripts/testenv.sh docker               only make `docker info` work (used by .ci/run)
#   scripts/testenv.sh tools                only build the pinned tools
#   scripts/testenv.sh start-buildkitd NAME an extra, fresh buildkitd; prints its address
#   scripts/testenv.sh stop-buildkitd NAME  stop it and remove its root
#   scripts/testenv.sh check-repro          rebuild the fixtures on a fresh daemon and
#                                           compare manifest digests
#
# Settings (environment):
#   MACABOX_CACHE          cache dir (default ~/.cache/macabox)
#   MACABOX_REGISTRY_PORT  local registry port on 127.0.0.1 (default 5000)
#   MACABOX_DEBIAN_MIRROR  mirror for debootstrap (default http://deb.debian.org/debian)
#   MACABOX_BUILDKIT_ROOT  root of the main buildkitd (default $MACABOX_CACHE/buildkit)
#   MACABOX_FIXTURE_EPOCH  SOURCE_DATE_EPOCH of the fixtures
#   MACABOX_START_TIMEOUT  seconds to wait for a daemon to answer (default 90)
#
# Everything `up` starts is recorded by PID in $MACABOX_CACHE/run/*.pid, and
# `down` stops only those processes: a developer's own dockerd or registry is
# never touched.
set -euo pipefail

# Globs and sort order feed the fixture cache keys; they must not depend on
# the caller's locale.
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "${SCRIPT_DIR}/.." && pwd)
LOG_PREFIX=testenv
# shellcheck source=lib.sh
. "${SCRIPT_DIR}/lib.sh"

CACHE=${MACABOX_CACHE:-${HOME}/.cache/macabox}
RUN_DIR=${CACHE}/run
LOG_DIR=${CACHE}/log
BIN_DIR=${CACHE}/bin
FIXTURE_DIR=${CACHE}/fixtures
OCI_STORE=${CACHE}/oci
ENV_FILE=${CACHE}/testenv.env
BUILDKIT_ROOT=${MACABOX_BUILDKIT_ROOT:-${CACHE}/buildkit}
REGISTRY_PORT=${MACABOX_REGISTRY_PORT:-5000}
REGISTRY_ADDR=127.0.0.1:${REGISTRY_PORT}
DEBIAN_MIRROR=${MACABOX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SUITE=bookworm
# 2025-01-01T00:00:00Z. Any fixed value works; changing it rebuilds fixtures.
FIXTURE_EPOCH=${MACABOX_FIXTURE_EPOCH:-1735689600}
START_TIMEOUT=${MACABOX_START_TIMEOUT:-90}

# The id under which buildctl's --oci-layout exposes the store: an
# oci-layout:// reference names a store id, not a path (a path is not a
# valid reference name).
OCI_STORE_ID=macabox-testenv
DEBIAN_REF=macabox.test/debian:${DEBIAN_SUITE}
MACASIM_REF=macabox.test/maca-sim:3.0.0.5
DEBIAN_REPO=macabox/debian:${DEBIAN_SUITE}
MACASIM_REPO=macabox/maca-sim:3.0.0.5

TOOLS_DIR=${SCRIPT_DIR}/tools
BUILDKIT_MODULE=github.com/moby/buildkit
REGISTRY_MODULE=github.com/distribution/distribution/v3

# The busybox-static package's binary, for tests that make FROM scratch
# images.
BUSYBOX=/bin/busybox

# Filled in by resolve_tools.
BUILDKIT_VERSION=
REGISTRY_VERSION=
BUILDKITD=
BUILDCTL=
REGISTRY=

# Lock fd: every daemon is started with it closed, or a daemon would hold
# the lock for as long as it runs.
LOCK_FD=9

usage() {
	sed -n '2,/^[^#]/{/^#/!d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

ensure_dirs() {
	mkdir -p "$RUN_DIR" "$LOG_DIR" "$BIN_DIR" "$FIXTURE_DIR" "${CACHE}/tmp"
}

take_lock() {
	ensure_dirs
	eval "exec ${LOCK_FD}>\"\${RUN_DIR}/testenv.lock\""
	if ! flock -w 900 "$LOCK_FD"; then
		die "another scripts/testenv.sh holds ${RUN_DIR}/testenv.lock for more than 15 minutes"
	fi
}

# ---------------------------------------------------------------- host tools

# ensure_docker_packages: docker.io is installed without its Recommends,
# one of which is apparmor; on a kernel with AppArmor on, dockerd cannot
# start containers without apparmor_parser.
ensure_docker_packages() {
	ensure_commands docker=docker.io dockerd=docker.io runc=runc
	local aa=/sys/module/apparmor/parameters/enabled
	if [[ -r $aa && $(<"$aa") == Y* ]]; then
		ensure_commands apparmor_parser=apparmor
	fi
}

ensure_host_packages() {
	# flock and setsid are in util-linux, which every Debian has; they are
	# listed so a stripped-down image fails with a clear message.
	ensure_commands flock=util-linux setsid=util-linux jq=jq \
		debootstrap=debootstrap gpgv=gpgv skopeo=skopeo shellcheck=shellcheck
	ensure_docker_packages
	# Tests build FROM scratch images around a static busybox.
	ensure_packages busybox-static
}

# gomod_require FILE MODULE: the version FILE requires for MODULE, read from
# the text: `go list -m` would load the whole module graph of a module that
# others are editing at the same time.
gomod_require() {
	awk -v mod="$2" '
		$1 == "require" && $2 == mod { print $3; exit }
		$1 == "require" && $2 == "(" { inblock = 1; next }
		inblock && $1 == ")" { inblock = 0; next }
		inblock && $1 == mod { print $2; exit }
	' "$1"
}

gomod_replaces() {
	grep -Eq "^[[:space:]]*(replace[[:space:]]+)?${2//./\\.}([[:space:]]+v[^[:space:]]+)?[[:space:]]+=>" "$1"
}

resolve_tools() {
	local main_mod=${REPO_ROOT}/go.mod bk_mod=${TOOLS_DIR}/buildkit/go.mod reg_mod=${TOOLS_DIR}/registry/go.mod
	local main_version
	[[ -f $main_mod ]] || die "no ${main_mod}"
	main_version=$(gomod_require "$main_mod" "$BUILDKIT_MODULE")
	BUILDKIT_VERSION=$(gomod_require "$bk_mod" "$BUILDKIT_MODULE")
	REGISTRY_VERSION=$(gomod_require "$reg_mod" "$REGISTRY_MODULE")
	[[ -n $BUILDKIT_VERSION ]] || die "${bk_mod} does not require ${BUILDKIT_MODULE}"
	[[ -n $REGISTRY_VERSION ]] || die "${reg_mod} does not require ${REGISTRY_MODULE}"
	[[ -n $main_version ]] ||
		die "go.mod does not require ${BUILDKIT_MODULE}; the pinned buildkitd/buildctl (${BUILDKIT_VERSION}) must match the client library"
	if gomod_replaces "$main_mod" "$BUILDKIT_MODULE" || gomod_replaces "$bk_mod" "$BUILDKIT_MODULE"; then
		die "a replace directive for ${BUILDKIT_MODULE} makes the client and the daemon versions unknowable; remove it or pin both explicitly"
	fi
	if [[ $main_version != "$BUILDKIT_VERSION" ]]; then
		die "BuildKit version mismatch: go.mod requires ${BUILDKIT_MODULE} ${main_version} but scripts/tools/buildkit/go.mod pins ${BUILDKIT_VERSION}; run: (cd scripts/tools/buildkit && go get -tool ${BUILDKIT_MODULE}/cmd/buildkitd@${main_version} ${BUILDKIT_MODULE}/cmd/buildctl@${main_version} && go mod tidy)"
	fi
	BUILDKITD=${BIN_DIR}/buildkitd-${BUILDKIT_VERSION}/buildkitd
	BUILDCTL=${BIN_DIR}/buildctl-${BUILDKIT_VERSION}/buildctl
	REGISTRY=${BIN_DIR}/registry-${REGISTRY_VERSION}/registry
}

# build_tool OUT MODULE_DIR PACKAGE [LDFLAGS [VERSION]]: builds PACKAGE of the pinned tool module
# into OUT unless it is already there (and, given VERSION, reports it); the Go build cache makes a rebuild
# after a cache wipe cheap.
build_tool() {
	local out=$1 moddir=$2 pkg=$3 ldflags=${4:-} want=${5:-} tmp
	if [[ -x $out ]]; then
		# A binary without the version stamped in (as older setups built
		# them) would make every builder report v0.0.0+unknown: rebuild it.
		[[ -z $want ]] && return 0
		[[ $("$out" --version 2>/dev/null) == *"$want"* ]] && return 0
	fi
	command -v go >/dev/null 2>&1 ||
		die "the Go toolchain is needed to build ${pkg} (see the go line of ${moddir}/go.mod)"
	log "building ${pkg} -> ${out}"
	mkdir -p "${out%/*}"
	tmp=$(mktemp "${out}.XXXXXX")
	# GOWORK=off: a go.work in the checkout must not pull the tool module
	# into the main module's build list. CGO off gives static binaries that
	# do not depend on the host's libc.
	if ! (cd "$moddir" && GOWORK=off CGO_ENABLED=0 go build -mod=readonly -buildvcs=false -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"); then
		rm -f "$tmp"
		die "go build ${pkg} failed"
	fi
	mv -f "$tmp" "$out"
}

ensure_tools() {
	resolve_tools
	# BuildKit reports the version stamped at link time; without it the
	# daemon says v0.0.0+unknown and bundles cannot name the version that
	# gave their digest.
	local stamp="-X ${BUILDKIT_MODULE}/version.Version=${BUILDKIT_VERSION} -X ${BUILDKIT_MODULE}/version.Package=${BUILDKIT_MODULE}"
	build_tool "$BUILDKITD" "${TOOLS_DIR}/buildkit" "${BUILDKIT_MODULE}/cmd/buildkitd" "$stamp" "$BUILDKIT_VERSION"
	build_tool "$BUILDCTL" "${TOOLS_DIR}/buildkit" "${BUILDKIT_MODULE}/cmd/buildctl" "$stamp" "$BUILDKIT_VERSION"
	build_tool "$REGISTRY" "${TOOLS_DIR}/registry" "${REGISTRY_MODULE}/cmd/registry"
	log "tools: buildkitd/buildctl ${BUILDKIT_VERSION}, registry ${REGISTRY_VERSION}"
}

# ------------------------------------------------------------------ processes

# pid_of NAME EXE: the PID recorded for NAME, if that process is alive and
# still runs EXE (a recycled PID must never be signalled).
pid_of() {
	local file=${RUN_DIR}/$1.pid pid exe
	[[ -r $file ]] || return 1
	pid=$(<"$file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	exe=$(readlink "/proc/${pid}/exe" 2>/dev/null) || return 1
	exe=${exe% (deleted)}
	[[ ${exe##*/} == "$2" ]] || return 1
	printf '%s\n' "$pid"
}

# start_daemon NAME LOG CMD [ARG...]: starts CMD in its own session (so a
# terminal's hangup or Ctrl-C aimed at the caller does not reach it), with no
# inherited stdin/stdout (so a CI runner waiting on our pipes is not held
# up), and records its PID.
start_daemon() {
	local name=$1 logfile=$2 pid
	shift 2
	printf '\n==== %s: starting %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$logfile"
	# setsid execs in place (a background child is not a group leader), so
	# $! is the daemon's own PID; pid_of checks that below.
	setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
	pid=$!
	printf '%s\n' "$pid" >"${RUN_DIR}/${name}.pid"
	if ! pid_of "$name" "${1##*/}" >/dev/null; then
		sleep 0.2
		if ! pid_of "$name" "${1##*/}" >/dev/null; then
			log "${name} exited at once; last lines of ${logfile}:"
			tail -n 30 "$logfile" >&2 || true
			die "${name} did not start"
		fi
	fi
}

# wait_until NAME EXE LOG CHECK [ARG...]: polls CHECK until it succeeds, the
# daemon dies, or START_TIMEOUT passes.
wait_until() {
	local name=$1 exe=$2 logfile=$3 deadline
	shift 3
	deadline=$((SECONDS + START_TIMEOUT))
	until "$@" >/dev/null 2>&1; do
		if ! pid_of "$name" "$exe" >/dev/null; then
			log "${name} died while starting; last lines of ${logfile}:"
			tail -n 40 "$logfile" >&2 || true
			die "${name} did not start"
		fi
		if ((SECONDS >= deadline)); then
			log "${name} did not answer within ${START_TIMEOUT}s; last lines of ${logfile}:"
			tail -n 40 "$logfile" >&2 || true
			die "${name} did not answer within ${START_TIMEOUT}s (raise MACABOX_START_TIMEOUT if this machine is just slow; scripts/testenv.sh down stops it)"
		fi
		sleep 0.3
	done
}

# stop_daemon NAME EXE [GRACE]: stops the process recorded for NAME, if it
# is still the one we started.
stop_daemon() {
	local name=$1 exe=$2 grace=${3:-20} pid deadline
	if ! pid=$(pid_of "$name" "$exe"); then
		rm -f "${RUN_DIR}/${name}.pid"
		return 0
	fi
	log "stopping ${name} (pid ${pid})"
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + grace))
	while pid_of "$name" "$exe" >/dev/null; do
		if ((SECONDS >= deadline)); then
			log "${name} (pid ${pid}) ignored SIGTERM for ${grace}s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.5
			break
		fi
		sleep 0.2
	done
	rm -f "${RUN_DIR}/${name}.pid"
}

# umount_under DIR: lazily unmounts whatever a killed daemon left mounted
# below DIR, so that removing DIR cannot reach into a mounted filesystem.
umount_under() {
	local dir=$1 mnt
	[[ -r /proc/self/mounts ]] || return 0
	while read -r mnt; do
		umount -l "$mnt" 2>/dev/null || true
	done < <(awk -v root="${dir%/}/" 'index($2, root) == 1 {print $2}' /proc/self/mounts | sort -r)
}

remove_tree() {
	umount_under "$1"
	rm -rf --one-file-system "$1"
}

# --------------------------------------------------------------------- docker

docker_endpoint() {
	local host
	host=$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null) || host=
	printf '%s\n' "${DOCKER_HOST:-${host:-unix:///var/run/docker.sock}}"
}

ensure_docker() {
	if docker info >/dev/null 2>&1; then
		if pid_of dockerd dockerd >/dev/null; then
			log "docker: running (started by testenv)"
		else
			log "docker: running (not started by testenv; left alone)"
		fi
		return 0
	fi
	ensure_docker_packages
	# Installing docker.io on a systemd host starts the service.
	if docker info >/dev/null 2>&1; then
		log "docker: running (started by the docker.io package)"
		return 0
	fi
	if ! pid_of dockerd dockerd >/dev/null; then
		is_root || die "docker info fails and dockerd is not running; start it (sudo systemctl start docker) or run this script as root"
		log "docker: starting dockerd (log: ${LOG_DIR}/dockerd.log)"
		start_daemon dockerd "${LOG_DIR}/dockerd.log" "$(command -v dockerd)"
	fi
	wait_until dockerd dockerd "${LOG_DIR}/dockerd.log" docker info
	log "docker: up ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
}

# ------------------------------------------------------------------ buildkitd

# buildkitd_paths NAME: sets BK_NAME (pid file name), BK_SOCK, BK_ROOT and
# BK_CONFIG for the main daemon (NAME "main") or an extra one.
buildkitd_paths() {
	if [[ $1 == main ]]; then
		BK_NAME=buildkitd
		BK_ROOT=$BUILDKIT_ROOT
	else
		[[ $1 =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] ||
			die "buildkitd name ${1@Q}: use 1-31 lowercase letters, digits and dashes"
		BK_NAME=buildkitd-$1
		BK_ROOT=${CACHE}/extra/$1/root
	fi
	BK_SOCK=${RUN_DIR}/${BK_NAME}.sock
	BK_CONFIG=${RUN_DIR}/${BK_NAME}.toml
	# A unix socket path is limited to 107 bytes.
	((${#BK_SOCK} < 100)) ||
		die "socket path ${BK_SOCK} is too long for a unix socket; set MACABOX_CACHE to a shorter dir"
}

buildkitd_answers() {
	"$BUILDCTL" --addr "unix://$1" debug workers
}

# start_buildkitd NAME FRESH: starts (or finds) a buildkitd. FRESH=true wipes
# its root first, for a daemon that must not reuse any cache.
start_buildkitd() {
	local name=$1 fresh=$2 recorded_root=
	buildkitd_paths "$name"
	if pid_of "$BK_NAME" buildkitd >/dev/null; then
		[[ -r ${RUN_DIR}/${BK_NAME}.root ]] && recorded_root=$(<"${RUN_DIR}/${BK_NAME}.root")
		if [[ $recorded_root == "$BK_ROOT" ]] && buildkitd_answers "$BK_SOCK" >/dev/null 2>&1; then
			log "${BK_NAME}: running at unix://${BK_SOCK} (root ${BK_ROOT})"
			return 0
		fi
		log "${BK_NAME}: running with root ${recorded_root:-?}, wanted ${BK_ROOT}; restarting it"
		stop_daemon "$BK_NAME" buildkitd
	fi
	is_root || die "buildkitd needs root here (rootless BuildKit needs rootlesskit, which this script does not set up)"
	ensure_commands runc=runc
	if [[ $fresh == true && -e $BK_ROOT ]]; then
		remove_tree "$BK_ROOT"
	fi
	mkdir -p "$BK_ROOT"
	rm -f "$BK_SOCK"
	# An explicit config keeps a host's /etc/buildkit/buildkitd.toml out of
	# the test world. Host networking: no CNI setup is needed for RUN steps.
	cat >"$BK_CONFIG" <<-'EOF'
		# Written by scripts/testenv.sh.
		[worker.oci]
		  enabled = true
		  gc = true
		[worker.containerd]
		  enabled = false
	EOF
	printf '%s\n' "$BK_ROOT" >"${RUN_DIR}/${BK_NAME}.root"
	log "${BK_NAME}: starting at unix://${BK_SOCK} (root ${BK_ROOT}, log ${LOG_DIR}/${BK_NAME}.log)"
	# buildkitd makes its snapshot mount points under TMPDIR and does not
	# always remove them; under its root they stay out of the host's /tmp.
	mkdir -p "${BK_ROOT}/tmp"
	TMPDIR=${BK_ROOT}/tmp start_daemon "$BK_NAME" "${LOG_DIR}/${BK_NAME}.log" "$BUILDKITD" \
		--config "$BK_CONFIG" --root "$BK_ROOT" --addr "unix://${BK_SOCK}" \
		--oci-worker=true --containerd-worker=false --oci-worker-net=host
	wait_until "$BK_NAME" buildkitd "${LOG_DIR}/${BK_NAME}.log" buildkitd_answers "$BK_SOCK"
}

stop_buildkitd() {
	buildkitd_paths "$1"
	stop_daemon "$BK_NAME" buildkitd 30
	rm -f "$BK_SOCK" "${RUN_DIR}/${BK_NAME}.root" "$BK_CONFIG"
	if [[ $1 != main ]]; then
		remove_tree "${CACHE}/extra/$1"
	fi
}

# ------------------------------------------------------------------- registry

# http_status HOST PORT PATH: the status code of a plain HTTP GET, with
# bash's /dev/tcp so that no HTTP client needs installing.
http_status() {
	local status
	status=$(
		# A refused connection is an answer here, not an error to print.
		exec 2>/dev/null
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf 'GET %s HTTP/1.0\r\nHost: %s:%s\r\n\r\n' "$3" "$1" "$2" >&3
		IFS=' ' read -r -t 5 _ code _ <&3 || exit 1
		printf '%s\n' "$code"
	) || return 1
	printf '%s\n' "$status"
}

registry_answers() {
	[[ $(http_status 127.0.0.1 "$REGISTRY_PORT" /v2/) == 200 ]]
}

yaml_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

ensure_registry() {
	local config=${RUN_DIR}/registry.yml recorded_port=
	if pid_of registry registry >/dev/null; then
		[[ -r ${RUN_DIR}/registry.port ]] && recorded_port=$(<"${RUN_DIR}/registry.port")
		if [[ $recorded_port == "$REGISTRY_PORT" ]] && registry_answers; then
			log "registry: running at ${REGISTRY_ADDR}"
			return 0
		fi
		log "registry: running on port ${recorded_port:-?}, wanted ${REGISTRY_PORT}; restarting it"
		stop_daemon registry registry
	fi
	if http_status 127.0.0.1 "$REGISTRY_PORT" / >/dev/null; then
		die "port ${REGISTRY_PORT} on 127.0.0.1 is taken by a process testenv did not start; set MACABOX_REGISTRY_PORT to a free port"
	fi
	mkdir -p "${CACHE}/registry"
	cat >"$config" <<-EOF
		# Written by scripts/testenv.sh.
		version: 0.1
		log:
		  level: info
		  formatter: text
		storage:
		  filesystem:
		    rootdirectory: $(yaml_quote "${CACHE}/registry")
		  delete:
		    enabled: true
		http:
		  addr: $(yaml_quote "$REGISTRY_ADDR")
		  secret: macabox-testenv-not-a-secret
	EOF
	printf '%s\n' "$REGISTRY_PORT" >"${RUN_DIR}/registry.port"
	log "registry: starting at ${REGISTRY_ADDR} (storage ${CACHE}/registry, log ${LOG_DIR}/registry.log)"
	# No collector is listening for traces; without this the registry logs
	# an export error every few seconds.
	OTEL_TRACES_EXPORTER=none start_daemon registry "${LOG_DIR}/registry.log" "$REGISTRY" serve "$config"
	wait_until registry registry "${LOG_DIR}/registry.log" registry_answers
}

# ------------------------------------------------------------------- fixtures

# hash_inputs [--file F]... [VALUE]...: a short content hash of files and
# values, the cache key of a fixture.
hash_inputs() {
	{
		while (($# > 0)); do
			if [[ $1 == --file ]]; then
				printf 'file %s %s\n' "${2##*/}" "$(wc -c <"$2")"
				cat "$2"
				shift 2
			else
				printf 'value %s\n' "$1"
				shift
			fi
		done
	} | sha256sum | cut -c1-16
}

state_get() {
	local file=${FIXTURE_DIR}/$1.state key val
	[[ -r $file ]] || return 0
	while IFS='=' read -r key val; do
		if [[ $key == "$2" ]]; then
			printf '%s\n' "$val"
			return 0
		fi
	done <"$file"
}

state_put() {
	local name=$1
	shift
	printf '%s\n' "$@" >"${FIXTURE_DIR}/${name}.state.tmp"
	mv -f "${FIXTURE_DIR}/${name}.state.tmp" "${FIXTURE_DIR}/${name}.state"
}

# store_digest STORE REF: the manifest digest STORE's index.json gives REF,
# if the manifest blob is really there.
store_digest() {
	local store=$1 ref=$2 digest
	[[ -r ${store}/index.json ]] || return 1
	digest=$(jq -r --arg ref "$ref" \
		'[.manifests[] | select(.annotations["io.containerd.image.name"] == $ref) | .digest] | if length == 1 then .[0] else empty end' \
		"${store}/index.json") || return 1
	[[ $digest == sha256:* && -s ${store}/blobs/sha256/${digest#sha256:} ]] || return 1
	printf '%s\n' "$digest"
}

# buildctl_build ADDR STORE REF LOGFILE CONTEXT DOCKERFILE_DIR [BUILDCTL ARGS...]:
# a reproducible build exported into an OCI layout store under REF; prints
# the manifest digest. The exporter attrs and the SOURCE_DATE_EPOCH build arg
# are both needed for identical digests (DESIGN.md §2).
buildctl_build() {
	local addr=$1 store=$2 ref=$3 logfile=$4 context=$5 dockerfile_dir=$6 meta digest
	shift 6
	[[ $store != *,* ]] || die "OCI store path ${store} contains a comma, which buildctl's --output cannot take"
	meta=$(mktemp "${CACHE}/tmp/metadata.XXXXXX")
	if ! "$BUILDCTL" --addr "$addr" build --progress=plain \
		--frontend=dockerfile.v0 \
		--local "context=${context}" --local "dockerfile=${dockerfile_dir}" \
		--opt "build-arg:SOURCE_DATE_EPOCH=${FIXTURE_EPOCH}" \
		--output "type=oci,dest=${store},tar=false,name=${ref},source-date-epoch=${FIXTURE_EPOCH},rewrite-timestamp=true" \
		--metadata-file "$meta" "$@" >"$logfile" 2>&1; then
		rm -f "$meta"
		log "build of ${ref} failed; last lines of ${logfile}:"
		tail -n 40 "$logfile" >&2 || true
		die "build of ${ref} failed"
	fi
	digest=$(jq -r '."containerimage.digest" // empty' "$meta")
	rm -f "$meta"
	[[ $digest == sha256:* ]] || die "buildctl reported no image digest for ${ref} (see ${logfile})"
	printf '%s\n' "$digest"
}

debian_rootfs_key() {
	hash_inputs --file "${SCRIPT_DIR}/fixtures/debian/mkrootfs.sh" \
		"$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$FIXTURE_EPOCH" "$(uname -m)"
}

# ensure_debian_rootfs: prints the path of the cached debootstrap tarball,
# making it first if needed (≈30-60 s: the slow part of a cold start).
ensure_debian_rootfs() {
	local key dir tar
	key=$(debian_rootfs_key)
	dir=${FIXTURE_DIR}/debian-rootfs-${key}
	tar=${dir}/rootfs.tar
	if [[ ! -s $tar ]]; then
		is_root || die "debootstrap needs root to make the Debian base; run scripts/testenv.sh up as root once"
		ensure_commands debootstrap=debootstrap gpgv=gpgv
		log "fixture debian: debootstrap --variant=minbase ${DEBIAN_SUITE} from ${DEBIAN_MIRROR} (log ${LOG_DIR}/debootstrap.log)"
		mkdir -p "$dir"
		if ! TMPDIR=${CACHE}/tmp "${SCRIPT_DIR}/fixtures/debian/mkrootfs.sh" \
			"$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$FIXTURE_EPOCH" "$tar" >"${LOG_DIR}/debootstrap.log" 2>&1; then
			log "debootstrap failed; last lines of ${LOG_DIR}/debootstrap.log:"
			tail -n 30 "${LOG_DIR}/debootstrap.log" >&2 || true
			die "could not make the Debian rootfs (is ${DEBIAN_MIRROR} reachable? set MACABOX_DEBIAN_MIRROR)"
		fi
		# Older tarballs belong to inputs that changed.
		find "$FIXTURE_DIR" -maxdepth 1 -name 'debian-rootfs-*' ! -name "debian-rootfs-${key}" -exec rm -rf {} +
	fi
	printf '%s\n' "$tar"
}

debian_image_key() {
	hash_inputs --file "${SCRIPT_DIR}/fixtures/debian/Dockerfile" "$(debian_rootfs_key)" "$FIXTURE_EPOCH" "$DEBIAN_REF"
}

# build_debian ADDR STORE LOGFILE: builds the Debian image into STORE.
build_debian() {
	local tar
	tar=$(ensure_debian_rootfs)
	buildctl_build "$1" "$2" "$DEBIAN_REF" "$3" "${tar%/*}" "${SCRIPT_DIR}/fixtures/debian"
}

ensure_debian() {
	local key digest
	key=$(debian_image_key)
	digest=$(state_get debian digest)
	if [[ $(state_get debian key) == "$key" && -n $digest && $(store_digest "$OCI_STORE" "$DEBIAN_REF" || true) == "$digest" ]]; then
		log "fixture debian: cached ${DEBIAN_REF}@${digest}"
		return 0
	fi
	log "fixture debian: building ${DEBIAN_REF} (inputs ${key})"
	digest=$(build_debian "unix://${RUN_DIR}/buildkitd.sock" "$OCI_STORE" "${LOG_DIR}/build-debian.log")
	[[ $(store_digest "$OCI_STORE" "$DEBIAN_REF" || true) == "$digest" ]] ||
		die "${OCI_STORE}/index.json does not list ${DEBIAN_REF} at ${digest} after the build"
	state_put debian "key=${key}" "digest=${digest}"
	log "fixture debian: ${DEBIAN_REF}@${digest}"
}

macasim_files() {
	local f
	for f in "${SCRIPT_DIR}"/fixtures/maca-sim/*; do
		[[ -f $f ]] && printf -- '--file\n%s\n' "$f"
	done
}

macasim_key() {
	local args
	mapfile -t args < <(macasim_files)
	hash_inputs "${args[@]}" "$(state_get debian digest)" "$FIXTURE_EPOCH" "$MACASIM_REF"
}

# build_macasim ADDR STORE LOGFILE: builds maca-sim into STORE, FROM the
# Debian image in the main store, passed by digest as a named context.
build_macasim() {
	local debian_digest
	debian_digest=$(state_get debian digest)
	[[ -n $debian_digest ]] || die "the Debian fixture is missing; run scripts/testenv.sh up"
	buildctl_build "$1" "$2" "$MACASIM_REF" "$3" "${SCRIPT_DIR}/fixtures/maca-sim" "${SCRIPT_DIR}/fixtures/maca-sim" \
		--oci-layout "${OCI_STORE_ID}=${OCI_STORE}" \
		--opt "context:${DEBIAN_REF}=oci-layout://${OCI_STORE_ID}@${debian_digest}"
}

ensure_macasim() {
	local key digest
	key=$(macasim_key)
	digest=$(state_get maca-sim digest)
	if [[ $(state_get maca-sim key) == "$key" && -n $digest && $(store_digest "$OCI_STORE" "$MACASIM_REF" || true) == "$digest" ]]; then
		log "fixture maca-sim: cached ${MACASIM_REF}@${digest}"
		return 0
	fi
	log "fixture maca-sim: building ${MACASIM_REF} (inputs ${key}; log ${LOG_DIR}/build-maca-sim.log)"
	digest=$(build_macasim "unix://${RUN_DIR}/buildkitd.sock" "$OCI_STORE" "${LOG_DIR}/build-maca-sim.log")
	[[ $(store_digest "$OCI_STORE" "$MACASIM_REF" || true) == "$digest" ]] ||
		die "${OCI_STORE}/index.json does not list ${MACASIM_REF} at ${digest} after the build"
	state_put maca-sim "key=${key}" "digest=${digest}"
	log "fixture maca-sim: ${MACASIM_REF}@${digest}"
}

skopeo_run() {
	# skopeo's default policy file comes from another package; an explicit
	# accept-anything policy is right for images we built ourselves.
	local policy=${RUN_DIR}/skopeo-policy.json
	[[ -s $policy ]] || printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$policy"
	skopeo --policy "$policy" "$@"
}

registry_digest() {
	local raw
	raw=$(skopeo_run inspect --raw --tls-verify=false "docker://${REGISTRY_ADDR}/$1" 2>/dev/null) || return 1
	printf 'sha256:%s\n' "$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)"
}

# push_fixture REF REPO DIGEST: copies REF from the OCI store to the local
# registry unless the registry already has it at DIGEST.
push_fixture() {
	local ref=$1 repo=$2 digest=$3 got
	if [[ $(registry_digest "$repo" || true) == "$digest" ]]; then
		log "registry: ${REGISTRY_ADDR}/${repo} already at ${digest}"
		return 0
	fi
	log "registry: pushing ${ref} -> ${REGISTRY_ADDR}/${repo}"
	# The oci: transport finds images by their org.opencontainers.image.ref.name
	# annotation, which BuildKit sets to the tag alone.
	skopeo_run copy --quiet --preserve-digests --dest-tls-verify=false \
		"oci:${OCI_STORE}:${ref##*:}" "docker://${REGISTRY_ADDR}/${repo}" >&2 ||
		die "skopeo copy of ${ref} to ${REGISTRY_ADDR}/${repo} failed"
	got=$(registry_digest "$repo") || die "cannot read back ${REGISTRY_ADDR}/${repo}"
	[[ $got == "$digest" ]] || die "${REGISTRY_ADDR}/${repo} has ${got} after the push, expected ${digest}"
}

push_fixtures() {
	ensure_commands skopeo=skopeo
	push_fixture "$DEBIAN_REF" "$DEBIAN_REPO" "$(state_get debian digest)"
	push_fixture "$MACASIM_REF" "$MACASIM_REPO" "$(state_get maca-sim digest)"
}

# docker_load_fixture REGISTRY_REF LOCAL_REF DIGEST: makes the fixture
# available to Docker under its OCI-store name, which is what smoke tests
# run. Pulled from the local registry (Docker trusts 127.0.0.0/8 over plain
# HTTP), so Docker records the same manifest digest.
docker_load_fixture() {
	local from=$1 to=$2 digest=$3
	if docker image inspect --format '{{json .RepoDigests}}' "$to" 2>/dev/null | grep -qF "@${digest}"; then
		log "docker: ${to} already at ${digest}"
		return 0
	fi
	docker pull -q "$from" >/dev/null || die "docker pull ${from} failed"
	docker tag "$from" "$to"
	docker image inspect --format '{{json .RepoDigests}}' "$to" | grep -qF "$digest" ||
		die "Docker has ${to} without digest ${digest}"
	log "docker: ${to} = ${from%:*}@${digest}"
}

docker_load_fixtures() {
	docker_load_fixture "${REGISTRY_ADDR}/${DEBIAN_REPO}" "$DEBIAN_REF" "$(state_get debian digest)"
	docker_load_fixture "${REGISTRY_ADDR}/${MACASIM_REPO}" "$MACASIM_REF" "$(state_get maca-sim digest)"
}

# ------------------------------------------------------------------------ env

emit_env() {
	local docker_host=
	if docker info >/dev/null 2>&1; then
		docker_host=$(docker_endpoint)
	fi
	printf '# macabox test environment, from scripts/testenv.sh (%s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf 'export %s=%q\n' \
		MACABOX_TEST_BUILDKIT_HOST "unix://${RUN_DIR}/buildkitd.sock" \
		MACABOX_TEST_BUILDKITD "$BUILDKITD" \
		MACABOX_TEST_BUILDCTL "$BUILDCTL" \
		MACABOX_TEST_REGISTRY "$REGISTRY_ADDR" \
		MACABOX_TEST_OCI_STORE "$OCI_STORE" \
		MACABOX_TEST_DEBIAN_REF "$DEBIAN_REF" \
		MACABOX_TEST_DEBIAN_DIGEST "$(state_get debian digest)" \
		MACABOX_TEST_MACASIM_REF "$MACASIM_REF" \
		MACABOX_TEST_MACASIM_DIGEST "$(state_get maca-sim digest)" \
		MACABOX_TEST_DEBIAN_REGISTRY_REF "${REGISTRY_ADDR}/${DEBIAN_REPO}" \
		MACABOX_TEST_MACASIM_REGISTRY_REF "${REGISTRY_ADDR}/${MACASIM_REPO}" \
		MACABOX_TEST_REGISTRY_BIN "$REGISTRY" \
		MACABOX_TEST_BUSYBOX "$BUSYBOX"
	if [[ -n $docker_host ]]; then
		printf 'export %s=%q\n' MACABOX_TEST_DOCKER_HOST "$docker_host"
	else
		printf 'unset MACABOX_TEST_DOCKER_HOST\n'
	fi
}

write_env_file() {
	emit_env >"${ENV_FILE}.tmp"
	mv -f "${ENV_FILE}.tmp" "$ENV_FILE"
}

# ------------------------------------------------------------------- commands

# require_root: the world's daemons need root (buildkitd's OCI worker,
# debootstrap, dockerd); say so before minutes of building tools.
require_root() {
	is_root || die "the test world needs root: buildkitd runs its OCI worker as root (rootless BuildKit needs rootlesskit, not set up here) and debootstrap needs root; run as root, e.g. sudo -E $0 $*"
}

cmd_up() {
	local start
	start=$(now_us)
	require_root up
	take_lock
	phase packages ensure_host_packages
	phase tools ensure_tools
	phase docker ensure_docker
	phase buildkitd start_buildkitd main false
	phase registry ensure_registry
	phase fixture-debian ensure_debian
	phase fixture-maca-sim ensure_macasim
	phase push push_fixtures
	phase docker-images docker_load_fixtures
	write_env_file
	PHASE_TIMES+=("total $(fmt_us "$(($(now_us) - start))")")
	print_phase_times
	log "ready; use it with: eval \"\$(scripts/testenv.sh env)\"  (also in ${ENV_FILE})"
}

cmd_down() {
	local f name
	take_lock
	for f in "$RUN_DIR"/buildkitd-*.pid; do
		[[ -e $f ]] || continue
		name=${f##*/buildkitd-}
		stop_buildkitd "${name%.pid}"
	done
	stop_buildkitd main
	stop_daemon registry registry
	rm -f "${RUN_DIR}/registry.port"
	stop_daemon dockerd dockerd 60
	rm -f "$ENV_FILE"
	log "down: stopped everything testenv had started"
}

# require_up: fails unless the services `env` describes are running.
require_up() {
	local problems=()
	resolve_tools
	pid_of buildkitd buildkitd >/dev/null || problems+=("buildkitd is not running")
	pid_of registry registry >/dev/null || problems+=("the registry is not running")
	[[ -n $(state_get debian digest) ]] || problems+=("the Debian fixture is missing")
	[[ -n $(state_get maca-sim digest) ]] || problems+=("the maca-sim fixture is missing")
	if ((${#problems[@]} > 0)); then
		local joined
		joined=$(printf '%s; ' "${problems[@]}")
		die "test environment is not up (${joined%; }); run: scripts/testenv.sh up"
	fi
}

cmd_env() {
	require_up
	emit_env
}

cmd_status() {
	local pid ok=true f name
	resolve_tools
	if docker info >/dev/null 2>&1; then
		if pid=$(pid_of dockerd dockerd); then
			printf 'docker:     up, dockerd pid %s (started by testenv), %s\n' "$pid" "$(docker_endpoint)"
		else
			printf 'docker:     up, not started by testenv, %s\n' "$(docker_endpoint)"
		fi
	else
		printf 'docker:     down\n'
		ok=false
	fi
	if pid=$(pid_of buildkitd buildkitd); then
		printf 'buildkitd:  up, pid %s, unix://%s, root %s\n' "$pid" "${RUN_DIR}/buildkitd.sock" "$(cat "${RUN_DIR}/buildkitd.root" 2>/dev/null || echo '?')"
	else
		printf 'buildkitd:  down\n'
		ok=false
	fi
	for f in "$RUN_DIR"/buildkitd-*.pid; do
		[[ -e $f ]] || continue
		name=${f##*/}
		name=${name%.pid}
		if pid=$(pid_of "$name" buildkitd); then
			printf 'extra:      %s up, pid %s, unix://%s\n' "$name" "$pid" "${RUN_DIR}/${name}.sock"
		fi
	done
	if pid=$(pid_of registry registry); then
		printf 'registry:   up, pid %s, %s\n' "$pid" "$REGISTRY_ADDR"
	else
		printf 'registry:   down\n'
		ok=false
	fi
	printf 'tools:      buildkit %s, registry %s (%s)\n' "$BUILDKIT_VERSION" "$REGISTRY_VERSION" "$BIN_DIR"
	printf 'oci store:  %s\n' "$OCI_STORE"
	local digest
	digest=$(state_get debian digest)
	printf 'debian:     %s %s\n' "$DEBIAN_REF" "${digest:-(not built)}"
	digest=$(state_get maca-sim digest)
	printf 'maca-sim:   %s %s\n' "$MACASIM_REF" "${digest:-(not built)}"
	[[ $ok == true ]]
}

cmd_start_buildkitd() {
	(($# == 1)) || die "usage: scripts/testenv.sh start-buildkitd NAME"
	[[ $1 != main ]] || die "the name 'main' is taken by the main daemon"
	require_root start-buildkitd "$1"
	take_lock
	ensure_tools >/dev/null
	start_buildkitd "$1" true
	printf 'unix://%s\n' "$BK_SOCK"
}

cmd_stop_buildkitd() {
	(($# == 1)) || die "usage: scripts/testenv.sh stop-buildkitd NAME"
	[[ $1 != main ]] || die "stop the main daemon with: scripts/testenv.sh down"
	take_lock
	stop_buildkitd "$1"
}

# show_layers STORE DIGEST: the layer digests of a manifest, to see which
# step differs when two builds do not match.
show_layers() {
	jq -r '.layers[] | "    \(.digest) \(.size)"' "$1/blobs/sha256/${2#sha256:}" >&2 || true
}

# check-repro: rebuilds both fixtures on a fresh buildkitd (empty root, so no
# cache at all) into a scratch store and compares manifest digests with the
# ones in the main store. The Debian base comes from the same debootstrap
# tarball; maca-sim runs apt-get against the mirror again.
# repro_fixture NAME BUILD_FN ADDR STORE: rebuilds fixture NAME with BUILD_FN
# on the daemon at ADDR into STORE and compares the digest with the cached
# build; on a difference it shows both images' layers and returns 1.
repro_fixture() {
	local name=$1 build=$2 addr=$3 store=$4 want got
	want=$(state_get "$name" digest)
	phase "repro-${name}" "$build" "$addr" "$store" "${LOG_DIR}/repro-${name}.log" >"${store}.${name}"
	got=$(<"${store}.${name}")
	rm -f "${store}.${name}"
	log "${name} first build: ${want}"
	log "${name} fresh build: ${got}"
	[[ $want == "$got" ]] && return 0
	log "${name}: DIFFERENT; layers first:"
	show_layers "$OCI_STORE" "$want"
	log "${name}: layers fresh:"
	show_layers "$store" "$got"
	return 1
}

cmd_check_repro() {
	local name=repro-$$ store addr failed=false
	take_lock
	require_up
	store=$(mktemp -d "${CACHE}/tmp/repro-store.XXXXXX")
	# shellcheck disable=SC2064 # expand now: these values are fixed
	trap "phase_exit_report; stop_buildkitd '${name}'; rm -rf '${store}'" EXIT
	phase repro-buildkitd start_buildkitd "$name" true
	addr=unix://${BK_SOCK}

	repro_fixture debian build_debian "$addr" "$store" || failed=true
	repro_fixture maca-sim build_macasim "$addr" "$store" || failed=true
	print_phase_times
	[[ $failed == false ]] || die "fixture builds are not reproducible (build logs: ${LOG_DIR}/repro-*.log)"
	log "reproducible: both fixtures have the same manifest digest on a fresh daemon"
}

main() {
	trap phase_exit_report EXIT
	local cmd=${1:-help}
	(($# > 0)) && shift
	case $cmd in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	env) cmd_env "$@" ;;
	status) cmd_status "$@" ;;
	docker)
		take_lock
		phase docker ensure_docker
		;;
	tools)
		take_lock
		phase tools ensure_tools
		;;
	start-buildkitd) cmd_start_buildkitd "$@" ;;
	stop-buildkitd) cmd_stop_buildkitd "$@" ;;
	check-repro) cmd_check_repro "$@" ;;
	help | -h | --help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
