package smoke

// Everything macabox does inside the container is one of these POSIX sh
// scripts, run with "/bin/sh -c SCRIPT sh ARGS...". They rely on /bin/sh, /proc
// and a few tools every base image has (sleep, cat, ls); anything else (stat,
// curl, wget, python3, nc) is used when present and worked around when not.
// Arguments are passed as positional parameters, never spliced into the text,
// so paths and URLs need no quoting.

// MarkerVar tags every process a test starts: exec'd commands and services
// inherit it, so a timed-out test or a finished service is found and killed by
// its tag, whatever it forked, without needing pkill or a pid file.
const MarkerVar = "MACABOX_SMOKE_EXEC"

// KeepAliveScript is the container's main process: it sleeps until stopped.
// "sleep infinity" is GNU-only, so it sleeps in slices; the trap makes a stop
// immediate. If sleep is missing the loop ends and the container exits, which
// the runner reports as an image without the basic tools.
const KeepAliveScript = `trap 'exit 0' TERM INT HUP; while sleep 3600 & wait $!; do :; done`

// KillScript signals every process whose environment carries the marker
// value $1, with signal $2. When $3 is "grace" it sends TERM first and gives
// them two seconds. The shell drops the NULs between environment entries, so
// markers end with a "." to keep "r.1." from matching "r.10.".
const KillScript = `tok="` + MarkerVar + `=$1"; sig=$2; self=$$
tagged() {
	found=
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$self" ] && continue
		e=$(cat "$d/environ" 2>/dev/null) || continue
		case $e in *"$tok"*) found="$found $p" ;; esac
	done
	[ -n "$found" ]
}
if [ "$3" = grace ] && tagged; then
	kill -TERM $found 2>/dev/null
	i=0
	while [ $i -lt 20 ] && tagged; do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done
fi
tagged && kill -"$sig" $found 2>/dev/null
exit 0`

// StatScript prints one line per path in $@:
//
//	missing
//	exists TYPE empty|nonempty OCTAL|- LSMODE|-
//
// The octal mode comes from stat(1) when the image has it; otherwise the
// runner reads the symbolic mode of ls -l.
const StatScript = `set -f
for p in "$@"; do
	if [ ! -e "$p" ]; then echo missing; continue; fi
	t=other
	if [ -d "$p" ]; then t=dir; elif [ -f "$p" ]; then t=file; elif [ -c "$p" ]; then t=char
	elif [ -b "$p" ]; then t=block; elif [ -p "$p" ]; then t=fifo; elif [ -S "$p" ]; then t=socket; fi
	s=empty; [ -s "$p" ] && s=nonempty
	m=$(stat -L -c %a "$p" 2>/dev/null) || m=-
	l=$(ls -ldL "$p" 2>/dev/null) || l=-
	set -- $l
	echo "exists $t $s ${m:--} ${1:--}"
done`

// CatScript prints the file $1.
const CatScript = `exec cat "$1"`

// ServiceScript starts the command $2 in the background with its output in the
// file $3 (directory $1) and prints its pid. The exec that runs this script
// returns at once; the service lives on under the container's init.
const ServiceScript = `mkdir -p "$1" || exit 1
(exec /bin/sh -c "$2") >"$3" 2>&1 </dev/null &
echo $!`

// ReadyScript waits until the service with pid $1 is ready, then exits 0. $2
// is "tcp" (port $3) or "http" (URL $3); $4 is the service's marker value. It
// exits 3 when the service has ended: its process is gone and so is every
// process carrying its marker (a service that daemonizes lives on in its
// children). It exits 4 when readiness cannot be checked at all. The runner
// kills it at the service timeout.
//
// Readiness is checked from inside the container, in its network namespace,
// so it works with any network mode and never sends traffic off the host:
//   - tcp: a socket listening on the port in /proc/net/tcp{,6}. No tool is
//     needed, and a listening socket is one the kernel accepts connections on.
//   - http: the first HTTP client the image has (curl, wget, python3, python,
//     then nc speaking HTTP/1.0 itself) must succeed; a client that dies of a
//     signal or cannot run (exit >= 126, e.g. a static busybox wget without
//     NSS) is dropped and the next one tried.
const ReadyScript = `pid=$1; kind=$2; target=$3; tok="` + MarkerVar + `=$4"; self=$$
nap() { sleep 0.1 2>/dev/null || sleep 1; }
alive() {
	kill -0 "$pid" 2>/dev/null && return 0
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = "$self" ] && continue
		e=$(cat "$d/environ" 2>/dev/null) || continue
		case $e in *"$tok"*) return 0 ;; esac
	done
	return 1
}
listening() {
	hex=$(printf '%04X' "$1")
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		while read -r _ local _ st _; do
			[ "$st" = 0A ] && [ "${local##*:}" = "$hex" ] && return 0
		done <"$f"
	done
	return 1
}
rawget() {
	case $target in http://*) ;; *) return 126 ;; esac
	rest=${target#http://}; hostport=${rest%%/*}; path=${rest#"$hostport"}
	[ -n "$path" ] || path=/
	host=${hostport%:*}; port=${hostport##*:}
	[ "$host" = "$hostport" ] && port=80
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" |
		nc -w 5 "$host" "$port" 2>/dev/null | { read -r _ code _; case $code in 2??) exit 0 ;; esac; exit 1; }
}
get() {
	case $1 in
	curl) curl -fsSL -o /dev/null --max-time 5 "$target" 2>/dev/null ;;
	wget) wget -q -T 5 -O /dev/null "$target" 2>/dev/null ;;
	python3|python) "$1" -c 'import sys
try:
    from urllib.request import urlopen
except ImportError:
    from urllib2 import urlopen
urlopen(sys.argv[1], timeout=5)' "$target" 2>/dev/null ;;
	nc) rawget ;;
	esac
}
clients=
for c in curl wget python3 python nc; do command -v "$c" >/dev/null 2>&1 && clients="$clients $c"; done
while :; do
	case $kind in
	tcp) listening "$target" && exit 0 ;;
	http)
		for c in $clients; do
			get "$c"; rc=$?
			[ $rc -eq 0 ] && exit 0
			[ $rc -lt 126 ] && break
			left=; for x in $clients; do [ "$x" = "$c" ] || left="$left $x"; done; clients=$left
		done
		if [ -z "$clients" ]; then
			echo "no working HTTP client in the image to check $target (tried curl, wget, python3, python, nc); use ready.tcp instead" >&2
			exit 4
		fi ;;
	esac
	alive || exit 3
	nap
done`

// ServiceLogDir holds service logs inside the container.
const ServiceLogDir = "/tmp/macabox-smoke"

// ShellScripts are the POSIX sh scripts the runners run inside the test
// container. A bundle's smoke.sh embeds the same ones, so that the tests it
// runs without macabox start services, wait for them and kill timed-out
// processes exactly as `macabox test` does.
type ShellScripts struct {
	// MarkerVar is the environment variable that tags a test's processes.
	MarkerVar string
	// Kill takes MARKER SIGNAL [grace]; see KillScript.
	Kill string
	// Service takes LOGDIR COMMAND LOGFILE and prints the service's pid.
	Service string
	// Ready takes PID tcp|http PORT|URL MARKER (the service's marker);
	// exit 0 ready, 3 the service ended, 4 readiness cannot be checked.
	Ready string
	// Stat takes PATH... and prints one line per path; see StatScript.
	Stat string
	// ServiceLogDir is where services write their output.
	ServiceLogDir string
	// KeepAlive is the test container's main process: it sleeps until
	// stopped, so tests can exec into it.
	KeepAlive string
}

// Scripts returns the runner's in-container scripts.
func Scripts() ShellScripts {
	return ShellScripts{
		MarkerVar:     MarkerVar,
		Kill:          KillScript,
		Service:       ServiceScript,
		Ready:         ReadyScript,
		Stat:          StatScript,
		ServiceLogDir: ServiceLogDir,
		KeepAlive:     KeepAliveScript,
	}
}
