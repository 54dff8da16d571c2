#!/usr/bin/env bash
# bench/run.sh: macabox against the baselines it wraps, measured in one run on
# one machine, reported as ratios (docs/benchmarks.md explains each figure).
#
#   build   `macabox build` vs `buildctl build` of the same rendered Dockerfile
#           on the same pinned buildkitd: cold (a fresh daemon each) and no-op
#           rebuild (warm cache); the two must also give the same digest
#   help    `macabox --help` start-up vs exec of /bin/true
#   size    what the catalog (images/ and recipes/ built into the binary)
#           adds to it: macabox against the same source with both folders
#           emptied
#   go      the Go benchmarks: recipe validation of 1,000 recipes, smoke
#           runner per-test overhead vs plain `docker exec`
#
#   bench/run.sh [build|help|size|go]...   (default: all)
#   BENCH_ROUNDS  repetitions of each timed command (default 5)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_PREFIX=bench
# shellcheck source=../scripts/lib.sh
. scripts/lib.sh
# shellcheck source=../scripts/session.sh
. scripts/session.sh

ROUNDS=${BENCH_ROUNDS:-5}
TARGET=demo
OUT=$(mktemp -d)
cleanup_out() { rm -rf "$OUT"; }

# seconds CMD...: runs CMD quietly and prints its wall time in seconds.
seconds() {
	local t0 t1
	t0=$(now_us)
	"$@" >/dev/null 2>&1
	t1=$(now_us)
	awk -v d="$((t1 - t0))" 'BEGIN { printf "%.3f\n", d / 1e6 }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# context_dir DIR: the rendered Dockerfile and exactly the files macabox
# sends, with the modes and mtimes macabox gives them, for buildctl.
context_dir() {
	local dir=$1 epoch=$2
	mkdir -p "$dir/df" "$dir/ctx"
	bin/macabox plan "$TARGET" >"$dir/df/Dockerfile"
	bin/macabox plan "$TARGET" --format json | python3 -c '
import json, os, shutil, sys
ctx, epoch = sys.argv[1], int(sys.argv[2])
for f in json.load(sys.stdin).get("context", []):
    dst = os.path.join(ctx, f["name"])
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(f["path"], dst)
    os.chmod(dst, f["mode"])
for root, dirs, files in os.walk(ctx):
    for n in dirs + files:
        os.utime(os.path.join(root, n), (epoch, epoch))
' "$dir/ctx" "$epoch"
}

# macabox_build ADDR [DEST]: without DEST the image stays in BuildKit.
macabox_build() {
	local out=()
	[[ -z ${2:-} ]] || out=(--output "type=oci,dest=$2")
	bin/macabox build "$TARGET" --builder "$1" --progress quiet --source-date-epoch "$EPOCH" \
		--base "$BASE" "${out[@]}"
}

# buildctl_build ADDR [DEST]: without DEST an unnamed image export, which is
# what macabox does then to learn the digest it prints.
buildctl_build() {
	local out=(--output "type=image,source-date-epoch=$EPOCH,rewrite-timestamp=true,oci-mediatypes=true")
	[[ -z ${2:-} ]] || out=(--output "type=oci,dest=$2,tar=false,source-date-epoch=$EPOCH,rewrite-timestamp=true,oci-mediatypes=true")
	"$MACABOX_TEST_BUILDCTL" --addr "$1" build --progress quiet \
		--frontend dockerfile.v0 --local "context=$OUT/bc/ctx" --local "dockerfile=$OUT/bc/df" \
		--oci-layout "bench=$MACABOX_TEST_OCI_STORE" \
		--opt "context:${MACABOX_TEST_MACASIM_REF}=oci-layout://bench@${MACABOX_TEST_MACASIM_DIGEST}" \
		--opt platform=linux/amd64 --opt "build-arg:SOURCE_DATE_EPOCH=$EPOCH" "${out[@]}"
}

manifest_of() { # OCI layout dir → the image manifest digest
	python3 -c 'import json,sys; i=json.load(open(sys.argv[1]+"/index.json")); print(i["manifests"][0]["digest"])' "$1"
}

bench_build() {
	EPOCH=1735689600
	BASE="${MACABOX_TEST_MACASIM_REF}=oci-layout://${MACABOX_TEST_OCI_STORE}@${MACABOX_TEST_MACASIM_DIGEST}"
	context_dir "$OUT/bc" "$EPOCH"
	local i addr m_cold=() b_cold=() m_noop=() b_noop=() m_oci=() b_oci=()
	for ((i = 1; i <= ROUNDS; i++)); do
		# Cold: each tool on a daemon of its own with an empty root, writing
		# an OCI layout. Then, on the warm daemon, a no-op rebuild (cache
		# only) and a no-op rebuild that writes the OCI layout again.
		addr=$(bash scripts/testenv.sh start-buildkitd "bench-m$i")
		m_cold+=("$(seconds macabox_build "$addr" "$OUT/m$i")")
		m_noop+=("$(seconds macabox_build "$addr")")
		m_oci+=("$(seconds macabox_build "$addr" "$OUT/m$i-again")")
		bash scripts/testenv.sh stop-buildkitd "bench-m$i"
		addr=$(bash scripts/testenv.sh start-buildkitd "bench-b$i")
		b_cold+=("$(seconds buildctl_build "$addr" "$OUT/b$i")")
		b_noop+=("$(seconds buildctl_build "$addr")")
		b_oci+=("$(seconds buildctl_build "$addr" "$OUT/b$i-again")")
		bash scripts/testenv.sh stop-buildkitd "bench-b$i"
	done
	local mc bc mn bn mo bo dm db
	mc=$(printf '%s\n' "${m_cold[@]}" | median)
	bc=$(printf '%s\n' "${b_cold[@]}" | median)
	mn=$(printf '%s\n' "${m_noop[@]}" | median)
	bn=$(printf '%s\n' "${b_noop[@]}" | median)
	mo=$(printf '%s\n' "${m_oci[@]}" | median)
	bo=$(printf '%s\n' "${b_oci[@]}" | median)
	dm=$(manifest_of "$OUT/m1")
	db=$(manifest_of "$OUT/b1")
	printf '\nbuild (%s, %d rounds, medians)\n' "$TARGET" "$ROUNDS"
	printf '  cold, OCI out:  macabox %6.3fs   buildctl %6.3fs   ratio %s\n' "$mc" "$bc" "$(ratio "$mc" "$bc")"
	printf '  no-op:          macabox %6.3fs   buildctl %6.3fs   ratio %s\n' "$mn" "$bn" "$(ratio "$mn" "$bn")"
	printf '  no-op, OCI out: macabox %6.3fs   buildctl %6.3fs   ratio %s\n' "$mo" "$bo" "$(ratio "$mo" "$bo")"
	printf '  digest: macabox %s\n          buildctl %s  %s\n' "$dm" "$db" "$([[ $dm == "$db" ]] && echo same || echo DIFFERENT)"
}

bench_help() {
	local i m=() t=()
	for ((i = 1; i <= ROUNDS * 4; i++)); do
		m+=("$(seconds bin/macabox --help)")
		t+=("$(seconds /bin/true)")
	done
	local mh th
	mh=$(printf '%s\n' "${m[@]}" | median)
	th=$(printf '%s\n' "${t[@]}" | median)
	printf '\nstart-up (%d runs, medians)\n' "$((ROUNDS * 4))"
	printf '  macabox --help %6.1fms   /bin/true %6.1fms   ratio %s\n' \
		"$(awk -v s="$mh" 'BEGIN{print s*1000}')" "$(awk -v s="$th" 'BEGIN{print s*1000}')" "$(ratio "$mh" "$th")"
}

# bench_size builds macabox from a copy of this checkout whose images/ and
# recipes/ hold one empty file each (go:embed needs a match), with the flags
# of make build, and compares the sizes.
bench_size() {
	local src=$OUT/no-catalog with without files bytes
	mkdir -p "$src"
	git ls-files -z --cached --others --exclude-standard | grep -zv '^macabox$' |
		xargs -0 cp -P --parents -t "$src"
	rm -rf "$src/images" "$src/recipes"
	mkdir -p "$src/images" "$src/recipes"
	: >"$src/images/.empty"
	: >"$src/recipes/.empty"
	make --no-print-directory -C "$src" build VERSION="$(make --no-print-directory -s version)" >/dev/null
	with=$(stat -c %s bin/macabox)
	without=$(stat -c %s "$src/bin/macabox")
	files=$(find images recipes -type f | wc -l)
	bytes=$(find images recipes -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
	printf '\nbinary size (make build)\n'
	printf '  macabox %.2f MB, without the catalog %.2f MB: the catalog adds %d KB (%d files, %d KB of text)\n' \
		"$(awk -v b="$with" 'BEGIN{print b/1e6}')" "$(awk -v b="$without" 'BEGIN{print b/1e6}')" \
		"$(((with - without) / 1000))" "$files" "$((bytes / 1000))"
	local i m=() n=() mh nh
	for ((i = 1; i <= ROUNDS * 4; i++)); do
		m+=("$(seconds bin/macabox --help)")
		n+=("$(seconds "$src/bin/macabox" --help)")
	done
	mh=$(printf '%s\n' "${m[@]}" | median)
	nh=$(printf '%s\n' "${n[@]}" | median)
	printf '  --help start-up (%d runs, medians): %.1fms, without the catalog %.1fms\n' "$((ROUNDS * 4))" \
		"$(awk -v s="$mh" 'BEGIN{print s*1000}')" "$(awk -v s="$nh" 'BEGIN{print s*1000}')"
}

bench_go() {
	printf '\nGo benchmarks\n'
	go test ./internal/recipe -run '^$' -bench 'Validate1000|Load' -benchmem -count 3 | grep -E '^Benchmark'
	go test ./internal/smoke -run '^$' -bench 'ExecOverhead' -benchtime 3x -count 1 | grep -E '^Benchmark'
}

session_up
# After session_up, whose own EXIT trap this one replaces and calls.
trap 'cleanup_out; session_down' EXIT
make --no-print-directory build >/dev/null
what=("$@")
((${#what[@]} > 0)) || what=(help size build go)
for w in "${what[@]}"; do
	case $w in
	build) bench_build ;;
	help) bench_help ;;
	size) bench_size ;;
	go) bench_go ;;
	*) die "unknown benchmark $w (build, help, size, go)" ;;
	esac
done
