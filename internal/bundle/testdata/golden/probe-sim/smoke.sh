#!/bin/sh
# smoke.sh: the smoke tests of probe-sim, as plain POSIX shell.
#
# SIMULATED MACA: This bundle was built on a SIMULATED MACA base: a stand-in
# that exercises the pipeline. It is not MetaX MACA, contains no MetaX
# software and runs nothing on a MetaX GPU; tests passing on it show that the
# pipeline works, not that MACA does.
#
# Usage: ./smoke.sh CONTAINER
#
# Runs each test inside CONTAINER, a running container of the image, with
# docker exec, as `macabox test` does, and prints a verdict per test and a
# summary. Needs only docker, sh, grep, sed and date on this host.
# Start a container with ./run.sh --detach NAME and remove it afterwards with
# docker rm -f NAME.
#
# Tests that need a MACA device are skipped when the container has no
# /dev/mxcd. Expectations are Go regular expressions, checked here with
# grep -E in the C locale line by line (tests.json holds the originals).
#
# Exit status: 0 every test that ran passed, 1 a test failed, 2 the tests
# could not be run.
#
# Commands, scripts and patterns below are single-quoted on purpose: they
# expand inside the container, or are regular expressions.
# shellcheck disable=SC2016
set -u

if [ "$#" -ne 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
	exit 2
fi
container=$1
LC_ALL=C
export LC_ALL
echo "smoke.sh: SIMULATED MACA base: passing tests show the pipeline works, not that MACA does" >&2

if ! docker exec "$container" /bin/sh -c 'exit 0' >/dev/null 2>&1; then
	printf '%s\n' "smoke.sh: cannot run commands in container $container (is it running? see docker ps)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/macabox-smoke.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
# The in-container scripts of macabox's own runner.
marker='MACABOX_SMOKE_EXEC'
kill_script='tok="MACABOX_SMOKE_EXEC=$1"; sig=$2; self=$$
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
exit 0'
log_dir='/tmp/macabox-smoke'
service_script='mkdir -p "$1" || exit 1
(exec /bin/sh -c "$2") >"$3" 2>&1 </dev/null &
echo $!'
ready_script='pid=$1; kind=$2; target=$3; tok="MACABOX_SMOKE_EXEC=$4"; self=$$
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
	hex=$(printf '\''%04X'\'' "$1")
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
	printf '\''GET %s HTTP/1.0\r\nHost: %s\r\n\r\n'\'' "$path" "$hostport" |
		nc -w 5 "$host" "$port" 2>/dev/null | { read -r _ code _; case $code in 2??) exit 0 ;; esac; exit 1; }
}
get() {
	case $1 in
	curl) curl -fsSL -o /dev/null --max-time 5 "$target" 2>/dev/null ;;
	wget) wget -q -T 5 -O /dev/null "$target" 2>/dev/null ;;
	python3|python) "$1" -c '\''import sys
try:
    from urllib.request import urlopen
except ImportError:
    from urllib2 import urlopen
urlopen(sys.argv[1], timeout=5)'\'' "$target" 2>/dev/null ;;
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
done'
stat_script='set -f
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
done'
run_id="smokesh$$"
has_device=0
if docker exec "$container" /bin/sh -c '[ -e /dev/mxcd ]' >/dev/null 2>&1; then
	has_device=1
fi
passed=0
failed=0
skipped=0
seq=0
name=
origin=
problems=
tok=
rc=0
timed_out=
subject=
log=

# begin NAME ORIGIN starts a test.
begin() {
	seq=$((seq + 1))
	name=$1
	origin=$2
	problems=
	tok="$run_id.$seq."
	: >"$tmp/stdout"
	: >"$tmp/stderr"
}

# problem TEXT records a check that did not hold.
problem() {
	problems="$problems
  - $1"
}

# show LABEL FILE prints the end of an output of a failed test.
show() {
	if [ -s "$2" ]; then
		printf '%s\n' "  $1 (last lines):"
		tail -n 20 "$2" | sed 's/^/  | /'
	fi
}

# finish prints the verdict of the test begun last.
finish() {
	if [ -z "$problems" ]; then
		passed=$((passed + 1))
		printf '%s\n' "PASS  $name"
		return
	fi
	failed=$((failed + 1))
	printf '%s\n' "FAIL  $name ($origin)$problems"
	show stdout "$tmp/stdout"
	show stderr "$tmp/stderr"
}

# skip REASON reports the test begun last as skipped.
skip() {
	skipped=$((skipped + 1))
	printf '%s\n' "SKIP  $name: $1"
}

nap() {
	sleep 0.1 2>/dev/null || sleep 1
}

# limited SECONDS TOKEN COMMAND... runs COMMAND with its output in $tmp/stdout
# and $tmp/stderr, and sets rc. At the deadline it kills every process in the
# container tagged with TOKEN and sets timed_out.
limited() {
	limit=$1
	ltok=$2
	shift 2
	timed_out=
	"$@" >"$tmp/stdout" 2>"$tmp/stderr" &
	pid=$!
	deadline=$(($(date +%s) + limit))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			timed_out=1
			docker exec "$container" /bin/sh -c "$kill_script" sh "$ltok" KILL grace >/dev/null 2>&1
			break
		fi
		nap
	done
	wait "$pid"
	rc=$?
}

# matches FILE all|first ERE tells whether a text matches as Go's multi-line
# matching would: every line is tried, and a text that is empty or ends with
# a line break has one more, empty, line; "first" tries the first line only.
matches() {
	if [ "$2" = first ]; then
		first_line=$(head -n 1 "$1")
		printf '%s\n' "$first_line" | grep -E -q -e "$3"
	elif [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then
		grep -E -q -e "$3" "$1"
	else
		{ cat "$1"; echo; } | grep -E -q -e "$3"
	fi
}

# expect_exit CODE
expect_exit() {
	if [ "$rc" -ne "$1" ]; then
		problem "exit code $rc, expected $1"
	fi
}

# expect_match FILE all|first ERE PATTERN
expect_match() {
	if ! matches "$tmp/$1" "$2" "$3"; then
		problem "$1 does not match /$4/"
	fi
}

# expect_no_match FILE all|first ERE PATTERN
expect_no_match() {
	if matches "$tmp/$1" "$2" "$3"; then
		problem "$1 matches /$4/, expected no match"
	fi
}

# expect_nonempty PATH: a file the command must have written.
expect_nonempty() {
	docker exec "$container" /bin/sh -c '[ -e "$1" ] || exit 3; [ -s "$1" ]' sh "$1" >/dev/null 2>&1
	case $? in
	0) ;;
	3) problem "file $1 does not exist" ;;
	*) problem "file $1 is empty" ;;
	esac
}

# read_stat reads the stat script's answer: f_state exists|missing, f_type,
# f_octal (as stat -c %a prints it, or -) and f_ls (ls -l's mode, or -).
read_stat() {
	f_state=
	f_type=
	f_octal=-
	f_ls=-
	if [ -n "$timed_out" ] || [ "$rc" -ne 0 ]; then
		return
	fi
	read -r f_state f_type _ f_octal f_ls <"$tmp/stdout" || true
	case $f_state in
	exists | missing) ;;
	*) f_state= ;;
	esac
}

# expect_mode OCTAL SYMBOLIC for the path read_stat examined.
expect_mode() {
	if [ "$f_octal" != - ]; then
		if [ "$f_octal" != "$1" ]; then
			problem "$subject has mode $f_octal, expected $1"
		fi
	elif [ "$f_ls" != - ]; then
		perms=$(printf '%s' "$f_ls" | cut -c 2-10)
		if [ "$perms" != "$2" ]; then
			problem "$subject has mode $perms, expected $2"
		fi
	else
		problem "the mode of $subject could not be read"
	fi
}

# stop_service kills the test's service and everything it started, and
# shows its log when the test failed.
stop_service() {
	if [ -n "$problems" ]; then
		docker exec "$container" cat "$log" >"$tmp/stderr" 2>/dev/null || true
	fi
	docker exec "$container" /bin/sh -c "$kill_script" sh "$tok" KILL grace >/dev/null 2>&1 || true
}

# this is a simulation (images/maca-sim.yaml:17)
begin 'this is a simulation' 'images/maca-sim.yaml:17'
subject='/opt/maca/SIMULATED'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c "$stat_script" sh '/opt/maca/SIMULATED'
read_stat
if [ -z "$f_state" ]; then
	problem "$subject could not be examined (exit $rc)"
elif [ "$f_state" != exists ]; then
	problem "$subject does not exist"
else
	if [ "$f_type" = dir ]; then
		problem "the content of $subject could not be read"
	else
		limited 120 "$tok" docker exec -e "$marker=$tok" "$container" cat '/opt/maca/SIMULATED'
		if [ -n "$timed_out" ] || [ "$rc" -ne 0 ]; then
			problem "the content of $subject could not be read"
		else
			mv "$tmp/stdout" "$tmp/content"
			expect_match 'content' all 'SIMULATED' 'SIMULATED'
		fi
	fi
fi
finish

# MACA version (images/maca-sim.yaml:20)
begin 'MACA version' 'images/maca-sim.yaml:20'
subject='/opt/maca/Version.txt'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c "$stat_script" sh '/opt/maca/Version.txt'
read_stat
if [ -z "$f_state" ]; then
	problem "$subject could not be examined (exit $rc)"
elif [ "$f_state" != exists ]; then
	problem "$subject does not exist"
else
	if [ "$f_type" = dir ]; then
		problem "the content of $subject could not be read"
	else
		limited 120 "$tok" docker exec -e "$marker=$tok" "$container" cat '/opt/maca/Version.txt'
		if [ -n "$timed_out" ] || [ "$rc" -ne 0 ]; then
			problem "the content of $subject could not be read"
		else
			mv "$tmp/stdout" "$tmp/content"
			expect_match 'content' first '^Version:[[:space:]]*3\.0\.0\.5([[:space:]-]|$)' '\AVersion:\s*3\.0\.0\.5(\s|-|$)'
		fi
	fi
fi
finish

# every GPU is Available (images/maca-sim.yaml:23)
begin 'every GPU is Available' 'images/maca-sim.yaml:23'
if [ "$has_device" = 1 ]; then
	limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c 'mx-smi -L'
	if [ -n "$timed_out" ]; then
		problem "timed out after 120s"
	else
		expect_exit 0
		expect_match 'stdout' all '^GPU#0[[:space:]].*\bAvailable' '(?m)^GPU#0\s.*\bAvailable'
		expect_no_match 'stdout' all 'Not Available' 'Not Available'
	fi
	finish
else
	skip 'needs a MACA device: the container has no /dev/mxcd'
fi

# hello runs (recipes/probe/probe.yaml:22)
begin 'hello runs' 'recipes/probe/probe.yaml:22'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c 'hello.sh world'
if [ -n "$timed_out" ]; then
	problem "timed out after 120s"
else
	expect_exit 0
	expect_match 'stdout' all '^hello, world$' '^hello, world$'
	expect_no_match 'stderr' all '.' '.'
fi
finish

# exit code and files (recipes/probe/probe.yaml:25)
begin 'exit code and files' 'recipes/probe/probe.yaml:25'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c 'hello.sh -x; touch /tmp/probe-out; echo data >/tmp/probe-out; exit 3'
if [ -n "$timed_out" ]; then
	problem "timed out after 120s"
else
	expect_exit 3
	expect_nonempty '/tmp/probe-out'
fi
finish

# hello is executable (recipes/probe/probe.yaml:28)
begin 'hello is executable' 'recipes/probe/probe.yaml:28'
subject='/opt/probe/bin/hello.sh'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c "$stat_script" sh '/opt/probe/bin/hello.sh'
read_stat
if [ -z "$f_state" ]; then
	problem "$subject could not be examined (exit $rc)"
elif [ "$f_state" != exists ]; then
	problem "$subject does not exist"
else
	expect_mode '755' 'rwxr-xr-x'
	if [ "$f_type" = dir ]; then
		problem "the content of $subject could not be read"
	else
		limited 120 "$tok" docker exec -e "$marker=$tok" "$container" cat '/opt/probe/bin/hello.sh'
		if [ -n "$timed_out" ] || [ "$rc" -ne 0 ]; then
			problem "the content of $subject could not be read"
		else
			mv "$tmp/stdout" "$tmp/content"
			expect_match 'content' all '^#!/bin/sh' '^#!/bin/sh'
		fi
	fi
fi
finish

# no build secret left (recipes/probe/probe.yaml:31)
begin 'no build secret left' 'recipes/probe/probe.yaml:31'
subject='/run/secrets/token'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c "$stat_script" sh '/run/secrets/token'
read_stat
if [ -z "$f_state" ]; then
	problem "$subject could not be examined (exit $rc)"
elif [ "$f_state" = exists ]; then
	problem "$subject exists ($f_type), expected it not to"
fi
finish

# secret was seen at build time (recipes/probe/probe.yaml:34)
begin 'secret was seen at build time' 'recipes/probe/probe.yaml:34'
subject='/opt/probe/secret-status'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" /bin/sh -c "$stat_script" sh '/opt/probe/secret-status'
read_stat
if [ -z "$f_state" ]; then
	problem "$subject could not be examined (exit $rc)"
elif [ "$f_state" != exists ]; then
	problem "$subject does not exist"
else
	if [ "$f_type" = dir ]; then
		problem "the content of $subject could not be read"
	else
		limited 120 "$tok" docker exec -e "$marker=$tok" "$container" cat '/opt/probe/secret-status'
		if [ -n "$timed_out" ] || [ "$rc" -ne 0 ]; then
			problem "the content of $subject could not be read"
		else
			mv "$tmp/stdout" "$tmp/content"
			expect_match 'content' all 'token seen' 'token seen'
		fi
	fi
fi
finish

# probe home (recipes/probe/probe.yaml:37)
begin 'probe home' 'recipes/probe/probe.yaml:37'
subject='PROBE_HOME'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" printenv 'PROBE_HOME'
if [ -n "$timed_out" ] || [ "$rc" -gt 1 ]; then
	problem "variable $subject could not be read (exit $rc)"
elif [ "$rc" -ne 0 ]; then
	problem "$subject is not set"
else
	printf '%s' "$(cat "$tmp/stdout")" >"$tmp/value"
	expect_match 'value' all '^/opt/probe$' '^/opt/probe$'
fi
finish

# test environment (recipes/probe/probe.yaml:40)
begin 'test environment' 'recipes/probe/probe.yaml:40'
subject='PROBE_MODE'
limited 120 "$tok" docker exec -e "$marker=$tok" -e 'PROBE_MODE=it'\''s "quoted" $HOME' "$container" printenv 'PROBE_MODE'
if [ -n "$timed_out" ] || [ "$rc" -gt 1 ]; then
	problem "variable $subject could not be read (exit $rc)"
elif [ "$rc" -ne 0 ]; then
	problem "$subject is not set"
else
	printf '%s' "$(cat "$tmp/stdout")" >"$tmp/value"
	expect_match 'value' all '^it.s "quoted" \$HOME$' '^it.s "quoted" \$HOME$'
fi
finish

# unset variable (recipes/probe/probe.yaml:44)
begin 'unset variable' 'recipes/probe/probe.yaml:44'
subject='PROBE_NOT_SET'
limited 120 "$tok" docker exec -e "$marker=$tok" "$container" printenv 'PROBE_NOT_SET'
if [ -n "$timed_out" ] || [ "$rc" -gt 1 ]; then
	problem "variable $subject could not be read (exit $rc)"
elif [ "$rc" -eq 0 ]; then
	problem "$subject is set, expected it not to be"
fi
finish

# version in its own words (recipes/probe/probe.yaml:47)
begin 'version in its own words' 'recipes/probe/probe.yaml:47'
skip 'cannot be checked by smoke.sh: pattern /(?i)^PROBE 1\.2\n\z/: the pattern matches a line break (\n); grep matches one line at a time; macabox reproduce checks it'

# tcp service (recipes/probe/probe.yaml:50)
begin 'tcp service' 'recipes/probe/probe.yaml:50'
log="$log_dir/$run_id-$seq.log"
limited 30 "${tok}svc." docker exec -e "$marker=${tok}svc." "$container" /bin/sh -c "$service_script" sh "$log_dir" '/opt/conda/bin/python3 -m http.server 8123 --bind 127.0.0.1' "$log"
svc_pid=$(cat "$tmp/stdout")
if [ -n "$timed_out" ] || [ "$rc" -ne 0 ] || [ -z "$svc_pid" ]; then
	problem "starting the service failed (exit $rc)"
else
	limited 30 "${tok}ready." docker exec -e "$marker=${tok}ready." "$container" /bin/sh -c "$ready_script" sh "$svc_pid" tcp '8123' "${tok}svc."
	if [ -n "$timed_out" ]; then
		problem "the service was not ready within 30s"
	elif [ "$rc" -eq 3 ]; then
		problem "the service exited before it became ready"
	elif [ "$rc" -ne 0 ]; then
		problem "checking readiness failed (exit $rc): $(head -n 1 "$tmp/stderr")"
	else
		limited 60 "${tok}probe." docker exec -e "$marker=${tok}probe." "$container" /bin/sh -c '/opt/conda/bin/python3 -c '\''import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8123/").status)'\'''
		if [ -n "$timed_out" ]; then
			problem "the probe timed out after 60s"
		else
			expect_exit 0
			expect_match 'stdout' all '^200$' '^200$'
		fi
	fi
	stop_service
fi
finish

total=$((passed + failed + skipped))
printf '%s\n' "smoke.sh: $passed passed, $failed failed, $skipped skipped, of $total tests"
if [ "$failed" -gt 0 ]; then
	exit 1
fi
exit 0
